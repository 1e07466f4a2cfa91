/**
 * One crash of `dash serve` mid-stream with the real Claude Code CLI as the agent, run inside a
 * network namespace with only loopback (tests/e2e/gateway-crash.test.ts starts it through
 * runWorldOffline), so the server can come back on the same fixed port the agent knows.
 * Argument: the compiled dash binary. Prints one JSON line of what it saw (GatewayCrashFacts).
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BudgetRecord } from "../../src/domain/budget.ts";
import type { ModelCallRecord } from "../../src/domain/model-call.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { budgetFromRow } from "../../src/storage/sqlite-budget-rows.ts";
import { reservedIn } from "../../src/storage/sqlite-budgets.ts";
import { callFromRow } from "../../src/storage/sqlite-calls.ts";
import { agentFromRow, type Row } from "../../src/storage/sqlite-rows.ts";
import { ROOT, tempHome } from "../helpers.ts";
import { OPERATOR_KEY, type SeenRequest, startHangOnceProvider } from "./hang-once-provider.ts";

const MARKER = "HANG-THE-FIRST-ANSWER";
// A fresh network namespace: any port is free, and the restarted server takes the same one.
const PORT = 47_373;

export interface DbFacts {
  calls: ModelCallRecord[];
  /** What the swarm's budget holds reserved, as the write path reads it (sqlite-budgets.ts). */
  reserved: number;
  spent: number;
}

export interface GatewayCrashFacts {
  whileDown: DbFacts;
  afterRestart: DbFacts;
  /** When the first server was dead: a later request at the provider came through the restarted one. */
  killedAt: number;
  atEnd: DbFacts;
  agent: { status: string; costMicros: number; result: unknown; error: unknown; retryCount: number };
  requests: Omit<SeenRequest, "body">[];
  log: string;
  restartLog: string;
}

const [bin = ""] = process.argv.slice(2);
const home = tempHome("dash-gateway-crash-");
const cliHome = join(home.dir, "cli");
mkdirSync(cliHome);
const provider = startHangOnceProvider(MARKER);
writeFileSync(
  join(home.dir, "config.yaml"),
  JSON.stringify({
    server: { port: PORT, host: "127.0.0.1" },
    log: { level: "info" },
    limits: { rateLimitPerMinute: 100_000 }, // this world polls the API while it waits
    providers: { anthropic: { api: "anthropic", baseUrl: provider.url, apiKeyEnv: "DASH_E2E_PROVIDER_KEY" } },
    runtimes: {
      "claude-code": {
        kind: "claude-code",
        env: {
          HOME: cliHome,
          XDG_CONFIG_HOME: join(cliHome, ".config"),
          CLAUDE_CONFIG_DIR: join(cliHome, "claude"),
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_TELEMETRY: "1",
          DISABLE_AUTOUPDATER: "1",
        },
      },
    },
  }),
);

/** `dash serve` on the fixed port; resolves once it logs that it serves. */
async function serve() {
  const proc = Bun.spawn([bin, "serve"], {
    cwd: home.dir,
    env: {
      PATH: `${join(ROOT, "tests", "agent-clis", "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
      DASH_HOME: home.dir,
      DASH_E2E_PROVIDER_KEY: OPERATOR_KEY,
    },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let log = "";
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  void (async () => {
    for await (const chunk of proc.stderr) {
      log += new TextDecoder().decode(chunk);
      if (log.includes('"dash serving"')) resolve();
    }
    reject(new Error(`dash serve exited before serving: ${log}`));
  })();
  await promise;
  return { proc, log: () => log };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** The swarm's calls and budget as the database file has them (read-only: the server may be dead). */
function dbFacts(swarmId: string): DbFacts {
  const db = new Database(join(home.dir, "dash.db"), { readonly: true });
  try {
    const calls = db
      .query<Row, [string]>("SELECT * FROM model_calls WHERE swarm_id = ? ORDER BY id")
      .all(swarmId)
      .map(callFromRow);
    const row = db
      .query<Row, [string]>("SELECT * FROM budgets WHERE entity_type = 'swarm' AND entity_id = ?")
      .get(swarmId);
    const budget: BudgetRecord = budgetFromRow(row as Row);
    return { calls, reserved: reservedIn(db, budget), spent: budget.spentUnits };
  } finally {
    db.close();
  }
}

let first = await serve();
let pid = 0;
try {
  const { key } = JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string };
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${PORT}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const swarm = await api("/api/swarm", {
    name: "gateway-crash",
    task: `TASK: say hello ${MARKER}`,
    initialAgents: 1,
    budget: { amount: 5 },
    // No retry by Dash: only the CLI's own retry can finish the task after the crash.
    // No file sandbox: its private /tmp would hide the test's CLI when the checkout lives under
    // /tmp (as a CI clone may); the sandbox has its own suites, this one is about the gateway.
    config: {
      runtime: "claude-code",
      model: "claude-sonnet-4-5",
      maxRetries: 0,
      timeout: 120_000,
      fileSandbox: false,
    },
  });
  const swarmId = String(swarm.id);
  const agentOf = async () =>
    ((await api(`/api/agents?swarmId=${swarmId}`)).agents as Record<string, unknown>[])[0] ?? {};
  await until("the hung call at the provider", () => provider.requests.some((r) => r.hung), 60_000);
  await until("its open row", () => dbFacts(swarmId).calls.some((c) => c.status === "open"), 5_000);
  // Mid-stream: the gateway has answered 200 and passed the provider's first event on to the CLI.
  const metrics = async () =>
    (await fetch(`http://127.0.0.1:${PORT}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  const streaming = /route="\/gateway\/anthropic\/v1\/messages",status="200"\} 1$/m;
  await until("the gateway's 200 to the CLI", async () => streaming.test(await metrics()), 5_000);
  await Bun.sleep(300);
  const db = new Database(join(home.dir, "dash.db"), { readonly: true });
  pid = (db.query("SELECT pid FROM agents WHERE swarm_id = ?").get(swarmId) as { pid: number }).pid;
  db.close();
  first.proc.kill("SIGKILL");
  await first.proc.exited;
  const killedAt = Date.now();
  const whileDown = dbFacts(swarmId);
  await Bun.sleep(1_500); // the CLI sees its connection cut and the server gone, and retries
  first = await serve();
  const afterRestart = dbFacts(swarmId);
  const ended = ["completed", "failed", "killed"];
  await until("the agent to end", async () => ended.includes(String((await agentOf()).status)), 90_000);
  const id = String((await agentOf()).id);
  const end = new Database(join(home.dir, "dash.db"), { readonly: true });
  const agent = agentFromRow(end.query<Row, [string]>("SELECT * FROM agents WHERE id = ?").get(id) as Row);
  end.close();
  const { status, costMicros, result, error, retryCount } = agent;
  const out: GatewayCrashFacts = {
    whileDown,
    afterRestart,
    killedAt,
    atEnd: dbFacts(swarmId),
    agent: { status, costMicros, result, error, retryCount },
    requests: provider.requests.map(({ body: _, ...r }) => r),
    log: existsSync(join(home.dir, "runs", id, "output.log"))
      ? readFileSync(join(home.dir, "runs", id, "output.log"), "utf8")
      : "",
    restartLog: first.log(),
  };
  console.log(JSON.stringify(out));
} finally {
  first.proc.kill("SIGTERM");
  await first.proc.exited;
  // Nothing this world started may outlive it (a failed run can leave the CLI waiting).
  if (pid > 1 && groupAlive(pid)) process.kill(-pid, "SIGKILL");
  provider.stop();
  home.cleanup();
}
