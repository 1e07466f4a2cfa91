/**
 * The real Claude Code and Codex CLIs as Dash agents whose every model call goes through Dash's
 * metering gateway, with budgets smaller than their task needs (issue 23). Run inside a network
 * namespace with only loopback (`unshare -n`, see tests/integration/agent-clis-gateway.test.ts):
 * a real server with the gateway, a real scheduler and a provider that never lets the CLIs finish
 * (tests/agent-clis/looping-provider.ts) all live in this process. The CLIs get nothing that points
 * them at the provider: the built-in presets' gateway wiring must. Prints one JSON line.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NO_GATEWAY } from "../../src/api/gateway/gateway.ts";
import { Conductor } from "../../src/core/conductor.ts";
import { Scheduler } from "../../src/core/scheduler.ts";
import type { AgentRecord } from "../../src/domain/agent.ts";
import type { BudgetRecord } from "../../src/domain/budget.ts";
import type { ModelCallRecord } from "../../src/domain/model-call.ts";
import { createLogger } from "../../src/log.ts";
import { builtInPresets, type RuntimePreset } from "../../src/runtimes/presets.ts";
import { PRICES } from "../../src/runtimes/pricing.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import type { ExitStatus } from "../../src/runtimes/runtime.ts";
import { testServer } from "../api-helpers.ts";
import { testProviders } from "../test-providers.ts";
import { CODEX_QUIET } from "./codex-config.ts";
import { type LoopCall, startLoopingProvider } from "./looping-provider.ts";

export interface GatewayWorldAgent {
  cli: string;
  agent: AgentRecord;
  calls: ModelCallRecord[];
  budget: BudgetRecord;
  log: string;
  /** The env the shim gave the CLI. */
  env: Record<string, string>;
  argv: string[];
  exit: ExitStatus | null;
  /** What the provider got on this CLI's API, in order. */
  seen: LoopCall[];
}

/** CLI → preset, model, USD budget (a few turns' worth) and the API path it calls at the provider. */
const RUNS = {
  claude: { runtime: "claude-code", model: "claude-sonnet-4-5", budgetUsd: 1, path: "/v1/messages" },
  codex: { runtime: "codex", model: "gpt-5.5", budgetUsd: 0.25, path: "/v1/responses" },
};

const BIN = join(import.meta.dir, "node_modules", ".bin");
/** The production default (config.ts): the CLI has time to exit on the refusal by itself. */
const KILL_GRACE_MS = 5000;

/** The built-in presets with this folder's CLIs and their config in a temp HOME; no provider URL or key. */
function presets(home: string): Record<string, RuntimePreset> {
  const builtIn = builtInPresets();
  const claude = builtIn["claude-code"] as RuntimePreset;
  const codex = builtIn.codex as RuntimePreset;
  const common = { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local") };
  const codexHome = join(home, "codex");
  mkdirSync(codexHome, { recursive: true });
  // Only what stops Codex's update checks and network syncs: its provider comes from gatewayArgs.
  writeFileSync(join(codexHome, "config.toml"), `check_for_update_on_startup = false\n${CODEX_QUIET}`);
  return {
    "claude-code": {
      ...claude,
      command: [join(BIN, "claude"), ...(claude.command ?? []).slice(1)],
      env: {
        ...common,
        CLAUDE_CONFIG_DIR: join(home, "claude"),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_TELEMETRY: "1",
        DISABLE_AUTOUPDATER: "1",
      },
    },
    codex: {
      ...codex,
      // Codex will not set up its own sandbox helpers under /tmp (where this CODEX_HOME is).
      command: [join(BIN, "codex"), ...(codex.command ?? []).slice(1)].flatMap((arg) =>
        arg === "--full-auto" ? ["-s", "danger-full-access"] : [arg],
      ),
      env: { ...common, CODEX_HOME: codexHome },
    },
  };
}

const provider = startLoopingProvider();
const providers = testProviders(provider.url);
const cliHome = mkdtempSync(join(tmpdir(), "dash-gateway-clis-"));
const runtimes = { ...builtInPresets(), ...presets(cliHome) };
const gateway = {
  ...NO_GATEWAY,
  providers,
  prices: PRICES,
  presets: runtimes,
  defaultRuntime: "claude-code",
};
const api = await testServer({}, { gateway });
const { t } = api;
const lines: string[] = [];
const log = createLogger("debug", {}, (l) => lines.push(l));
const scheduler = new Scheduler(
  t.lifecycle,
  {
    home: t.dir,
    url: `http://127.0.0.1:${api.server.port}`,
    presets: runtimes,
    defaultRuntime: "claude-code",
    maxConcurrency: 4,
    killGraceMs: KILL_GRACE_MS,
    retryBackoffMs: 50,
    pollMs: 20,
    providers,
  },
  log,
);
await scheduler.start();
const conductor = new Conductor(t.lifecycle, log);
await conductor.start();

async function run(cli: keyof typeof RUNS): Promise<GatewayWorldAgent> {
  const { runtime, model, budgetUsd, path } = RUNS[cli];
  const { swarm, agents } = await t.lifecycle.createSwarm({
    name: `gateway-${cli}`,
    task: "Write one file per turn, turn-1.txt, turn-2.txt, …, and never stop.",
    initialAgents: 1,
    // Only notes at 90%: a pause (SIGSTOP) would freeze the CLI before the gateway refuses it.
    budget: { amount: budgetUsd, currency: "USD", actions: { critical: "notify" } },
    config: { runtime, model, maxRetries: 0, timeout: 150_000 },
  });
  await t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  const id = (agents[0] as AgentRecord).id;
  const files = runFiles(t.dir, id, 0);
  // Ended, and its shim wrote how the CLI exited (by itself, or by the kill after the grace).
  for (let end = Date.now() + 160_000; Date.now() < end; await Bun.sleep(20)) {
    const agent = await t.store.getAgent(id);
    if (agent && ["completed", "failed", "killed"].includes(agent.status) && existsSync(files.exit)) break;
  }
  const spec = JSON.parse(readFileSync(files.spec, "utf8")) as {
    argv: string[];
    env: Record<string, string>;
  };
  return {
    cli,
    agent: (await t.store.getAgent(id)) as AgentRecord,
    calls: (await t.store.listCalls({ agentId: id })).reverse(),
    budget: (await t.store.getBudget("swarm", swarm.id)) as BudgetRecord,
    log: existsSync(files.log) ? readFileSync(files.log, "utf8") : "",
    env: spec.env,
    argv: spec.argv,
    exit: existsSync(files.exit) ? (JSON.parse(readFileSync(files.exit, "utf8")) as ExitStatus) : null,
    seen: provider.calls.filter((c) => c.path === path),
  };
}

const which = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(RUNS);
const out = await Promise.all(which.map((cli) => run(cli as keyof typeof RUNS)));
await conductor.stop();
await scheduler.stop();
// Nothing this world started may outlive it.
for (const { agent } of out)
  if (agent.pid && agent.pid > 1 && groupAlive(agent.pid)) process.kill(-agent.pid, "SIGKILL");
await api.close();
provider.stop();
rmSync(cliHome, { recursive: true, force: true });
console.log(JSON.stringify({ agents: out, requests: provider.calls.map((c) => c.path) }));
process.exit(0);
