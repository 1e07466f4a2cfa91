/**
 * One run of the real agent CLIs under Dash, meant to run inside a network namespace with only
 * loopback (`unshare -n`, see tests/integration/agent-clis.test.ts), so nothing can leave the
 * machine: the fake provider and a real scheduler over a real SQLite file live in this process,
 * the CLIs are the pinned npm packages of this folder, started by the built-in presets' argv.
 * Prints one JSON line: every agent's record, its log and what is in its workspace.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtInPresets, type RuntimePreset } from "../../src/runtimes/presets.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { testScheduler } from "../agents-helpers.ts";
import { startFakeProvider } from "../fake-provider.ts";
import { CODEX_QUIET } from "./codex-config.ts";

export interface WorldAgent {
  scenario: string;
  status: string;
  sessionId: string | null;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  result: unknown;
  error: unknown;
  exitCode: number | null;
  retryCount: number;
  log: string;
  workspace: string[];
  /** The argv of the agent's last attempt, as the shim got it. */
  argv: string[];
  events: Array<{ type: string; reason?: unknown }>;
}

/** Scenario name → runtime preset, model and task (the fake provider reads its markers). */
const SCENARIOS: Record<string, { runtime: string; model: string; task: string }> = {
  "claude tool use": {
    runtime: "claude-code",
    model: "claude-sonnet-4-5",
    task: "TASK: claude TOOL:out.txt",
  },
  "claude resume": {
    runtime: "claude-code",
    model: "claude-sonnet-4-5",
    task: "TASK: claude resume SLOW:60000",
  },
  "claude api error": { runtime: "claude-code", model: "claude-sonnet-4-5", task: "TASK: claude FAIL:400" },
  "codex tool use": { runtime: "codex", model: "gpt-5.5", task: "TASK: codex TOOL:out.txt" },
  "codex api error": { runtime: "codex", model: "gpt-5.5", task: "TASK: codex FAIL:400" },
  "opencode tool use": { runtime: "opencode", model: "fake/m1", task: "TASK: opencode TOOL:out.txt" },
  // Its own data folder: two opencode processes creating one new database at once race on its
  // migrations ("CREATE TABLE workspace" fails in the loser), which made these tests flaky.
  "opencode api error": { runtime: "opencode-2", model: "fake/m1", task: "TASK: opencode FAIL:400" },
};

const BIN = join(import.meta.dir, "node_modules", ".bin");

/** The built-in presets with the CLIs of this folder and every config directory in a temp HOME. */
function presets(providerUrl: string, home: string): Record<string, RuntimePreset> {
  const builtIn = builtInPresets();
  const withBinary = (preset: RuntimePreset, name: string) => [
    join(BIN, name),
    ...(preset.command ?? []).slice(1),
  ];
  const common = { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local") };
  const codexHome = join(home, "codex");
  Bun.spawnSync(["mkdir", "-p", codexHome]);
  writeFileSync(join(codexHome, "config.toml"), codexConfig(providerUrl));
  const opencodeConfig = {
    provider: {
      fake: {
        npm: "@ai-sdk/openai-compatible",
        name: "Fake",
        options: { baseURL: `${providerUrl}/v1`, apiKey: "sk-test" },
        models: { m1: { name: "m1", cost: { input: 1, output: 2 } } },
      },
    },
  };
  return {
    "claude-code": {
      ...builtIn["claude-code"],
      kind: "claude-code",
      command: withBinary(builtIn["claude-code"] as RuntimePreset, "claude"),
      env: {
        ...common,
        ANTHROPIC_BASE_URL: providerUrl,
        ANTHROPIC_API_KEY: "sk-test",
        CLAUDE_CONFIG_DIR: join(home, "claude"),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_TELEMETRY: "1",
        DISABLE_AUTOUPDATER: "1",
      },
    },
    codex: {
      ...builtIn.codex,
      kind: "codex",
      // Codex will not set up its own sandbox helpers under /tmp (where this CODEX_HOME is).
      command: withBinary(builtIn.codex as RuntimePreset, "codex").flatMap((arg) =>
        arg === "--full-auto" ? ["-s", "danger-full-access"] : [arg],
      ),
      env: { ...common, CODEX_HOME: codexHome, FAKE_KEY: "sk-test" },
    },
    opencode: {
      ...builtIn.opencode,
      kind: "opencode",
      command: withBinary(builtIn.opencode as RuntimePreset, "opencode"),
      env: {
        ...common,
        OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig),
        OPENCODE_DISABLE_MODELS_FETCH: "1",
        OPENCODE_DISABLE_AUTOUPDATE: "1",
        OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
        OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
        OPENCODE_DISABLE_SHARE: "1",
      },
    },
  };
}

/** The presets plus a second opencode whose data folder is its own (see SCENARIOS). */
function withSecondOpencode(all: Record<string, RuntimePreset>, home: string): Record<string, RuntimePreset> {
  const opencode = all.opencode as RuntimePreset;
  const env = { ...opencode.env, XDG_DATA_HOME: join(home, ".local-2") };
  return { ...all, "opencode-2": { ...opencode, env } };
}

function codexConfig(providerUrl: string): string {
  return `model = "gpt-5.5"
model_provider = "fake"
check_for_update_on_startup = false
[model_providers.fake]
name = "fake"
base_url = "${providerUrl}/v1"
env_key = "FAKE_KEY"
wire_api = "responses"
supports_websockets = false
${CODEX_QUIET}`;
}

const provider = startFakeProvider();
const cliHome = mkdtempSync(join(tmpdir(), "dash-clis-"));
const s = await testScheduler({
  presets: withSecondOpencode(presets(provider.url, cliHome), cliHome),
  maxConcurrency: 8,
});

async function start(scenario: string, maxRetries = 0) {
  const { runtime, model, task } = SCENARIOS[scenario] ?? { runtime: "?", model: "?", task: "?" };
  const { swarm, agents } = await s.t.lifecycle.createSwarm({
    name: scenario.replaceAll(" ", "-"),
    task,
    initialAgents: 1,
    budget: { amount: 5, currency: "USD" },
    config: { runtime, model, maxRetries, timeout: 120_000 },
  });
  await s.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  return { scenario, id: agents[0]?.id as string, swarmId: swarm.id };
}

async function settle({ scenario, id, swarmId }: Awaited<ReturnType<typeof start>>): Promise<WorldAgent> {
  let agent = await s.waitFor(id, ["completed", "failed", "killed"], 150_000);
  // A failure that will be retried is not the end.
  while (agent.status === "failed" && (agent.error as { willRetry?: boolean }).willRetry) {
    await Bun.sleep(50);
    agent = await s.waitFor(id, ["completed", "failed", "killed"], 150_000);
  }
  const spec = JSON.parse(readFileSync(runFiles(s.t.dir, id, agent.retryCount).spec, "utf8")) as {
    argv: string[];
  };
  return {
    scenario,
    status: agent.status,
    sessionId: agent.sessionId,
    promptTokens: agent.promptTokens,
    completionTokens: agent.completionTokens,
    costMicros: agent.costMicros,
    result: agent.result,
    error: agent.error,
    exitCode: agent.exitCode,
    retryCount: agent.retryCount,
    log: readFileSync(join(s.t.dir, "runs", id, "output.log"), "utf8"),
    workspace: readdirSync(join(s.t.dir, "workspaces", swarmId, id)),
    argv: spec.argv,
    events: s.t.published
      .filter((e) => e.source === id)
      .map((e) => ({ type: e.type, reason: e.data.reason })),
  };
}

/**
 * A crash mid-run: the server stops following, the agent's whole process group is SIGKILLed while
 * Claude waits on the model, a new server recovers: the lost run is resumed with --resume.
 */
async function crashAndResume(): Promise<WorldAgent> {
  const run = await start("claude resume", 1);
  const until = async (check: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 3000 && !(await check()); i++) await Bun.sleep(20);
  };
  await until(() => provider.arrived.some((body) => body.includes("claude resume SLOW")));
  await until(async () => Boolean((await s.t.store.getAgent(run.id))?.sessionId));
  // Claude writes its transcript a moment after the request: a kill before that leaves nothing to
  // resume (the resumed attempt then fails and the next retry starts over). Here: kill after it.
  const session = (await s.t.store.getAgent(run.id))?.sessionId as string;
  const transcript = new Bun.Glob(`claude/projects/*/${session}.jsonl`);
  await until(() => [...transcript.scanSync({ cwd: cliHome })].length > 0);
  await s.stopFollowing();
  const pid = (await s.t.store.getAgent(run.id))?.pid ?? 0;
  // Never -0 (this process's own group, and the test runner's with it).
  if (pid > 1) process.kill(-pid, "SIGKILL");
  await until(() => !groupAlive(pid));
  await s.startAgain();
  return settle(run);
}

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SCENARIOS);
const out = await Promise.all(names.filter((n) => n !== "claude resume").map((name) => start(name))).then(
  (runs) => Promise.all(runs.map(settle)),
);
if (names.includes("claude resume")) out.push(await crashAndResume());
await s.close();
provider.stop();
const resumed = provider.arrived.find((body) => body.includes("previous run of this task was interrupted"));
console.log(
  JSON.stringify({
    agents: out,
    requests: provider.requests.map((r) => `${r.path} ${r.status}`),
    // What the resumed Claude sent the model: the lost run's conversation, then the continuation.
    resumedMessages: resumed ? (JSON.parse(resumed) as { messages: unknown[] }).messages : [],
  }),
);
// The fake may still hold a SLOW request of the killed run.
process.exit(0);
