/**
 * The `openclaw` runtime against the REAL gateway, meant to run inside a network namespace with
 * only loopback (`unshare -n`, see tests/integration/openclaw-gateway.test.ts): the fake model, the
 * gateway (openclaw@2026.9.6 on Node 26) and `dash serve` (from source, its own process, so it can
 * be `kill -9`ed) all live here. Scenarios go through Dash's API; what the gateway itself says
 * about each session is read back with our client. Prints one JSON line with everything.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDash } from "../../bench/dash-server.ts";
import { DashClient } from "../../src/client/client.ts";
import { GatewayConnection } from "../../src/runtimes/openclaw-gateway.ts";
import { startFakeModel } from "./fake-model.ts";
import { startGateway } from "./gateway.ts";

const TOKEN = `dash-test-${crypto.randomUUID()}`;
const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
const hadOpenClawTmp = existsSync("/tmp/openclaw");
const model = startFakeModel();
const gateway = await startGateway(model.url, TOKEN);
const home = mkdtempSync(join(tmpdir(), "dash-claw-world-"));
writeFileSync(
  join(home, "config.yaml"),
  [
    "limits: { rateLimitPerMinute: 100000, swarmCreatesPerMinute: 1000 }",
    "runtimes:",
    `  claw: { kind: openclaw, gatewayUrl: "${gateway.url}" }`,
    `  claw-short: { kind: openclaw, gatewayUrl: "${gateway.url}", reconnectForMs: 1500 }`,
    `  claw-wrong: { kind: openclaw, gatewayUrl: "${gateway.url}", env: { OPENCLAW_GATEWAY_TOKEN: wrong } }`,
    `  claw-down: { kind: openclaw, gatewayUrl: "ws://127.0.0.1:9", reconnectForMs: 500 }`,
  ].join("\n"),
);
const env = { HOME: home, OPENCLAW_GATEWAY_TOKEN: TOKEN };
let dash = startDash([process.execPath, MAIN], home, env);
let origin = await dash.ready;
if (!origin) throw new Error("dash serve did not start");
const key =
  readFileSync(join(home, "credentials"), "utf8").match(/dash_api_key_[A-Za-z0-9_-]{32}/)?.[0] ?? "";
const client = () => new DashClient({ url: origin as string, key, keySource: "test" });

const until = async (what: string, check: () => Promise<boolean>, ms = 90_000) => {
  for (const end = Date.now() + ms; !(await check()); await Bun.sleep(200)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
};
async function start(runtime: string, task: string, maxRetries = 0): Promise<string> {
  const swarm = await client().createSwarm({
    name: `claw-${runtime}`,
    task,
    initialAgents: 1,
    config: { runtime, maxRetries },
  });
  return (await client().allAgents({ swarmId: swarm.id }))[0]?.id as string;
}
const agent = (id: string) => client().getAgent(id);
const ended = async (id: string, statuses = ["completed", "failed", "killed"]) => {
  for (const end = Date.now() + 90_000; Date.now() < end; await Bun.sleep(200)) {
    const found = await agent(id);
    if (statuses.includes(found.status)) return found;
  }
  throw new Error(`agent ${id} did not end`);
};
async function describe(id: string) {
  const connection = await GatewayConnection.open({ url: gateway.url, token: TOKEN, version: "test" });
  try {
    return (
      await connection.request<{ session: Record<string, unknown> }>("sessions.describe", {
        key: `dash-${id}`,
      })
    ).session;
  } finally {
    connection.close();
  }
}

/** What the gateway says of the agent's session: its history's runs, usage and cost. */
async function gatewaySays(id: string) {
  const connection = await GatewayConnection.open({ url: gateway.url, token: TOKEN, version: "test" });
  try {
    const key = `dash-${id}`;
    const { session } = await connection.request<{ session: Record<string, unknown> }>("sessions.describe", {
      key,
    });
    const history = await connection.request<{ messages: Array<Record<string, unknown>> }>("chat.history", {
      sessionKey: key,
      limit: 500,
    });
    const assistant = history.messages.filter((m) => m.role === "assistant");
    const usage = assistant.map((m) => m.usage as { input: number; output: number; cost: { total: number } });
    return {
      status: session.status,
      abortedLastRun: session.abortedLastRun,
      userMessages: history.messages.filter((m) => m.role === "user").length,
      promptTokens: usage.reduce((n, u) => n + (u?.input ?? 0), 0),
      completionTokens: usage.reduce((n, u) => n + (u?.output ?? 0), 0),
      costMicros: usage.reduce((n, u) => n + Math.round((u?.cost?.total ?? 0) * 1e6), 0),
    };
  } finally {
    connection.close();
  }
}

const results: Record<string, unknown> = { gatewayReadyMs: Math.round(gateway.readyMs) };
try {
  // 1. An agent completes with the usage and cost the gateway reports.
  const done = await ended(await start("claw", "TASK: say hello"));
  results.completed = { agent: done, gateway: await gatewaySays(done.id) };

  // 1b. A child (tree strategy) is a session under its parent's.
  const parent = await client().getAgent(await start("claw", "TASK: SLOW a parent"));
  const child = await client().spawnAgent({
    swarmId: parent.swarmId,
    task: "TASK: a child",
    parentId: parent.id,
  });
  await ended(child.id);
  results.tree = { parent: parent.id, child: await ended(child.id), childSession: await describe(child.id) };
  await client().killAgent(parent.id);

  // 2. Killed mid-run: the gateway shows the run aborted.
  const victim = await start("claw", "TASK: SLOW kill me");
  await until("the run to stream", async () => model.prompts.some((p) => p.includes("SLOW kill me")));
  await client().killAgent(victim);
  const killed = await ended(victim);
  await Bun.sleep(1000);
  results.killed = { agent: killed, gateway: await gatewaySays(victim) };

  // 2b. Paused mid-run (the run is aborted), resumed (a continuation in the same session).
  const napper = await start("claw", "TASK: SLOW pause me");
  await until("the run to stream", async () => model.prompts.some((p) => p.includes("SLOW pause me")));
  await client().pauseAgent(napper);
  await until("the run to be aborted", async () => (await gatewaySays(napper)).status === "killed", 30_000);
  await client().resumeAgent(napper);
  const resumed = await ended(napper);
  results.paused = {
    agent: resumed,
    gateway: await gatewaySays(napper),
    log: (await client().agentLogs(napper, { tail: 50 })).lines,
  };

  // 3. kill -9 of Dash during a run; the run goes on in the gateway; Dash restarts and settles it once.
  const survivor = await start("claw", "TASK: SLOW survive a crash", 1);
  await until("the run to stream", async () => model.prompts.some((p) => p.includes("SLOW survive")));
  dash.proc.kill("SIGKILL");
  await dash.proc.exited;
  await Bun.sleep(3000);
  dash = startDash([process.execPath, MAIN], home, env);
  origin = await dash.ready;
  const survived = await ended(survivor, ["completed", "killed"]);
  results.crash = {
    agent: survived,
    gateway: await gatewaySays(survivor),
    prompts: model.prompts.filter((p) => p.includes("SLOW survive")).length,
  };

  // 4. A wrong token, and no gateway at the address: the agent fails with a clear error.
  results.wrongToken = await ended(await start("claw-wrong", "TASK: wrong token"));
  results.down = await ended(await start("claw-down", "TASK: nobody there"));

  // 5. The gateway dies mid-run: the agent fails once it stays away; Dash goes on serving.
  const orphan = await start("claw-short", "TASK: SLOW the gateway dies");
  await until("the run to stream", async () =>
    model.prompts.some((p) => p.includes("SLOW the gateway dies")),
  );
  results.gatewayRssMiB = Math.round(gateway.rssMiB());
  await gateway.stop("SIGKILL");
  results.gatewayDied = await ended(orphan);
  results.serving = (await client().health()).status;
} catch (error) {
  results.error = error instanceof Error ? error.stack : String(error);
} finally {
  dash.proc.kill("SIGTERM");
  await dash.proc.exited;
  await gateway.stop();
  model.stop();
  rmSync(home, { recursive: true, force: true });
  if (!hadOpenClawTmp) rmSync("/tmp/openclaw", { recursive: true, force: true });
}
console.log(JSON.stringify(results));
