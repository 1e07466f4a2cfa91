/**
 * The REAL Claude Code, Codex and opencode CLIs (pinned in tests/agent-clis/package.json, installed
 * by `npm test`) run as Dash agents against the fake provider, inside a network namespace that has
 * only loopback, so nothing can leave the machine. Dash must record the session id, tokens and cost
 * that each CLI itself printed, for a run that uses a tool and for one the provider refuses.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { costOf } from "../../src/runtimes/pricing.ts";
import type { WorldAgent } from "../agent-clis/world.ts";
import { ROOT, runWorldOffline } from "../helpers.ts";

const DIR = join(ROOT, "tests", "agent-clis");
let agents: WorldAgent[] = [];
let requests: string[] = [];
let resumedMessages: unknown[] = [];

beforeAll(async () => {
  for (const cli of ["claude", "codex", "opencode"]) {
    if (!existsSync(join(DIR, "node_modules", ".bin", cli))) {
      throw new Error(
        `${cli} is not installed: run \`npm install --prefix tests/agent-clis\` (npm test does it)`,
      );
    }
  }
  ({ agents, requests, resumedMessages } = await runWorldOffline<{
    agents: WorldAgent[];
    requests: string[];
    resumedMessages: unknown[];
  }>("tests/agent-clis/world.ts", "agent"));
}, 240_000);

/** The JSON lines the CLI printed (its own output, as the agent's log has it). */
const printed = (agent: WorldAgent) =>
  agent.log
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const agent = (scenario: string) => {
  const found = agents.find((a) => a.scenario === scenario);
  if (!found) throw new Error(`no agent for "${scenario}"`);
  return found;
};

test("every CLI reached only the fake provider on loopback", () => {
  expect(requests.some((r) => r.startsWith("/v1/messages"))).toBe(true);
  expect(requests.some((r) => r.startsWith("/v1/responses"))).toBe(true);
  expect(requests.some((r) => r.startsWith("/v1/chat/completions"))).toBe(true);
});

// CI is root: the CLIs ran as the unprivileged agent user (issue 24), with their config folders.
test.if(process.getuid?.() === 0)(
  "as root, every CLI ran as the unprivileged dash-agent, dropped by setpriv",
  () => {
    const uid = Bun.spawnSync(["id", "-u", "dash-agent"]).stdout.toString().trim();
    expect(Number(uid)).toBeGreaterThan(0);
    for (const run of agents) {
      const setpriv = run.argv.findIndex((arg) => arg.endsWith("/setpriv"));
      expect(setpriv, run.scenario).toBeGreaterThan(0);
      expect(run.argv.slice(setpriv + 1)).toContain(`--reuid=${uid}`);
    }
  },
);

describe("Claude Code", () => {
  test("a tool-use run completes with the session, tokens and cost of its result line", () => {
    const run = agent("claude tool use");
    const lines = printed(run);
    const init = lines.find((l) => l.type === "system") as { session_id: string };
    const result = lines.find((l) => l.type === "result") as {
      total_cost_usd: number;
      usage: Record<string, number>;
    };
    expect(lines.some((l) => JSON.stringify(l).includes('"type":"tool_use"'))).toBe(true);
    expect(run.status).toBe("completed");
    expect(run.workspace).toContain("out.txt");
    expect(run.sessionId).toBe(init.session_id);
    const u = result.usage;
    expect(run.promptTokens).toBe(
      (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
    );
    expect(run.completionTokens).toBe(u.output_tokens as number);
    expect(run.costMicros).toBe(Math.round(result.total_cost_usd * 1e6));
    expect(run.costMicros).toBeGreaterThan(0);
    expect(run.result).toBe("wrote the file. claude TOOL:out.txt");
  });

  test("it gets --max-budget-usd from what remains of the swarm's budget", () => {
    const argv = agent("claude tool use").argv;
    expect(argv.slice(argv.indexOf("--max-budget-usd"))).toEqual(["--max-budget-usd", "5"]);
  });

  test("a run lost in a crash is resumed with --resume <session>, its conversation kept, and said in an event", () => {
    const run = agent("claude resume");
    expect(run.status).toBe("completed");
    expect(run.retryCount).toBe(1);
    expect(run.argv).toContain("--resume");
    expect(run.argv[run.argv.indexOf("--resume") + 1]).toBe(run.sessionId as string);
    const retry = run.events.find((e) => e.type === "agent.retrying");
    expect(String(retry?.reason)).toBe(`resuming session ${run.sessionId}: its process was lost`);
    // The model saw the lost run's prompt first, then the continuation.
    expect(JSON.stringify(resumedMessages[0])).toContain("TASK: claude resume");
    expect(JSON.stringify(resumedMessages.at(-1))).toContain("previous run of this task was interrupted");
    // Only the resumed attempt's tokens count (the lost one never got an answer).
    const result = printed(run).find((l) => l.type === "result") as { total_cost_usd: number };
    expect(run.costMicros).toBe(Math.round(result.total_cost_usd * 1e6));
  });

  test("an API error fails the agent with the CLI's message and exit code", () => {
    const run = agent("claude api error");
    expect(run.status).toBe("failed");
    expect(run.exitCode).toBe(1);
    expect((run.error as { message: string }).message).toContain("400");
    expect(run.costMicros).toBe(0);
  });
});

describe("Codex", () => {
  test("a tool-use run completes with the thread id and the priced sum of its turns", () => {
    const run = agent("codex tool use");
    const lines = printed(run);
    const thread = lines.find((l) => l.type === "thread.started") as { thread_id: string };
    const turns = lines.filter((l) => l.type === "turn.completed") as Array<{
      usage: Record<string, number>;
    }>;
    const prompt = turns.reduce((sum, t) => sum + (t.usage.input_tokens ?? 0), 0);
    const completion = turns.reduce(
      (sum, t) => sum + (t.usage.output_tokens ?? 0) + (t.usage.reasoning_output_tokens ?? 0),
      0,
    );
    expect(lines.some((l) => (l.item as { type?: string })?.type === "command_execution")).toBe(true);
    expect(run.status).toBe("completed");
    expect(run.workspace).toContain("out.txt");
    expect(run.sessionId).toBe(thread.thread_id);
    expect([run.promptTokens, run.completionTokens]).toEqual([prompt, completion]);
    expect(run.costMicros).toBe(Math.round(costOf("gpt-5.5", prompt, completion) * 1e6));
    expect(run.costMicros).toBeGreaterThan(0);
  });

  test("an API error fails the agent with the turn's error", () => {
    const run = agent("codex api error");
    expect(run.status).toBe("failed");
    expect((run.error as { message: string }).message).toContain("fake provider refuses with 400");
  });
});

describe("opencode", () => {
  test("a tool-use run completes with the session and the summed step costs", () => {
    const run = agent("opencode tool use");
    const lines = printed(run);
    // Seen once in CI and once under a loaded full run: no tool_use line. Say what it printed.
    if (!lines.some((l) => l.type === "tool_use")) console.error(run.status, run.error, run.log.slice(-4000));
    const steps = lines.filter((l) => l.type === "step_finish") as Array<{
      sessionID: string;
      part: {
        cost: number;
        tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } };
      };
    }>;
    expect(lines.some((l) => l.type === "tool_use")).toBe(true);
    expect(run.status).toBe("completed");
    expect(run.workspace).toContain("out.txt");
    expect(run.sessionId).toBe(steps[0]?.sessionID as string);
    const sum = (pick: (s: (typeof steps)[number]) => number) => steps.reduce((n, s) => n + pick(s), 0);
    expect(run.promptTokens).toBe(
      sum((s) => s.part.tokens.input + s.part.tokens.cache.read + s.part.tokens.cache.write),
    );
    expect(run.completionTokens).toBe(sum((s) => s.part.tokens.output + s.part.tokens.reasoning));
    expect(run.costMicros).toBe(Math.round(sum((s) => s.part.cost) * 1e6));
    expect(run.costMicros).toBeGreaterThan(0);
  });

  test("an API error fails the agent with the provider's message", () => {
    const run = agent("opencode api error");
    expect(run.status).toBe("failed");
    expect(run.exitCode).toBe(1);
    expect((run.error as { message: string }).message).toBe("fake provider refuses with 400");
  });
});
