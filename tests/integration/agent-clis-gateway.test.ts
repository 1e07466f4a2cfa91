/**
 * Issue 23, acceptance 1: the REAL Claude Code and Codex CLIs run as Dash agents whose model calls
 * all go through Dash's metering gateway, against a provider that keeps them working forever, on
 * budgets smaller than that. The gateway must stop each one: spend never passes the budget by one
 * micro-dollar, the CLI gets the refusal and exits by itself, the agent ends killed for budget, and
 * the provider sees no call after the refusal. Runs offline (`unshare -n`, only loopback).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NO_GATEWAY } from "../../src/api/gateway/gateway.ts";
import type { GatewayWorldAgent } from "../agent-clis/gateway-world.ts";
import { ROOT, runWorldOffline } from "../helpers.ts";
import { OPERATOR_KEY } from "../test-providers.ts";

const DIR = join(ROOT, "tests", "agent-clis");
let agents: GatewayWorldAgent[] = [];
let requests: string[] = [];

beforeAll(async () => {
  for (const cli of ["claude", "codex"]) {
    if (!existsSync(join(DIR, "node_modules", ".bin", cli))) {
      throw new Error(
        `${cli} is not installed: run \`npm install --prefix tests/agent-clis\` (npm test does it)`,
      );
    }
  }
  ({ agents, requests } = await runWorldOffline<{ agents: GatewayWorldAgent[]; requests: string[] }>(
    "tests/agent-clis/gateway-world.ts",
    "gateway agent",
  ));
}, 240_000);

/** The JSON lines the CLI printed (its own output, as the agent's log has it). */
const printed = (run: GatewayWorldAgent) =>
  run.log
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const runOf = (cli: string) => {
  const found = agents.find((a) => a.cli === cli);
  if (!found) throw new Error(`no agent for ${cli}`);
  return found;
};

/** How each CLI says it got the refusal: its last printed line, and that line's message. */
const STOP_LINE: Record<string, (line: Record<string, unknown>) => string | null> = {
  // Claude: a result line that is an error and carries the API's message.
  claude: (l) => (l.type === "result" && l.is_error === true ? String(l.result) : null),
  // Codex: the turn failed with the provider's error body.
  codex: (l) => (l.type === "turn.failed" ? String((l.error as { message?: string }).message) : null),
};

for (const cli of ["claude", "codex"]) {
  describe(cli === "claude" ? "Claude Code through the gateway" : "Codex through the gateway", () => {
    test("spend stays within the budget and is exactly the sum of its settled calls, none left open", () => {
      const { agent, calls, budget } = runOf(cli);
      const settled = calls.filter((c) => c.status === "settled");
      const spent = settled.reduce((sum, c) => sum + c.costMicros, 0);
      // It worked turn after turn before the money ran out, so the budget was really what stopped it.
      expect(settled.length).toBeGreaterThanOrEqual(2);
      expect(budget.spentUnits).toBeGreaterThan(0);
      expect(budget.spentUnits).toBeLessThanOrEqual(budget.allocatedUnits);
      expect(budget.spentUnits).toBe(spent);
      expect(agent.costMicros).toBe(spent);
      expect(calls.filter((c) => c.status === "open")).toEqual([]);
      expect(calls.every((c) => c.reservedUnits === 0)).toBe(true);
      expect(agent.reservedUnits).toBe(0);
    });

    test("a call is refused for budget and the agent is killed for it, metered by the gateway", () => {
      const { agent, calls } = runOf(cli);
      const refused = calls.filter((c) => c.status === "refused");
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(refused[0]?.httpStatus).toBe(400);
      expect(refused[0]?.error).toStartWith("Dash budget: ");
      expect(agent.status).toBe("killed");
      expect(agent.error).toMatchObject({ reason: "budget" });
      expect(agent.metering).toBe("gateway");
    });

    test("the provider saw every forwarded call, capped as admitted, and nothing after the refusal", () => {
      const { calls, seen } = runOf(cli);
      const forwarded = calls.filter((c) => c.status === "settled" || c.status === "released");
      const firstRefusal = Math.min(...calls.filter((c) => c.status === "refused").map((c) => c.startedAt));
      expect(seen.length).toBe(forwarded.length);
      expect(Math.max(...seen.map((s) => s.at))).toBeLessThanOrEqual(firstRefusal);
      for (const [i, call] of forwarded.entries()) {
        expect(seen[i]?.maxTokens).toBe(call.maxTokens as number);
        expect(seen[i]?.outputTokens).toBeLessThanOrEqual(call.maxTokens as number);
        expect(call.completionTokens).toBe(seen[i]?.outputTokens as number);
      }
      // The budget got tight: the gateway lowered some call's cap below what the CLI asked (Codex
      // names none: the gateway's default stands in).
      const asked = (c: (typeof calls)[number]) => c.requestedMaxTokens ?? NO_GATEWAY.defaultMaxTokens;
      expect(forwarded.some((c) => (c.maxTokens as number) < asked(c))).toBe(true);
    });

    test("the CLI printed the refusal and exited by itself, before any kill", () => {
      const run = runOf(cli);
      const lines = printed(run);
      const stop = STOP_LINE[cli] as (line: Record<string, unknown>) => string | null;
      const message = stop(lines.at(-1) as Record<string, unknown>);
      expect(message).toContain("Dash budget: no room left for this call");
      expect(run.exit?.code).toBe(1);
      expect(run.exit?.signal).toBeNull();
    });

    test("the provider got the operator's key, never the agent's token; the agent never saw the key", () => {
      const { seen, env, log, argv } = runOf(cli);
      const token = env.DASH_AGENT_TOKEN as string;
      expect(token).toStartWith("dash_api_key_");
      for (const call of seen) {
        expect(call.key).toBe(cli === "claude" ? OPERATOR_KEY : `Bearer ${OPERATOR_KEY}`);
        expect(call.key).not.toContain(token);
      }
      expect(JSON.stringify(env)).not.toContain(OPERATOR_KEY);
      expect(env.DASH_TEST_PROVIDER_KEY).toBeUndefined();
      expect(log).not.toContain(OPERATOR_KEY);
      expect(JSON.stringify(argv)).not.toContain(OPERATOR_KEY);
    });
  });
}

test("each CLI was pointed at the gateway by its preset, with its own token as the key", () => {
  const claude = runOf("claude");
  expect(claude.env.ANTHROPIC_BASE_URL).toBe(`${claude.env.DASH_URL}/gateway/anthropic`);
  expect(claude.env.ANTHROPIC_API_KEY).toBe(claude.env.DASH_AGENT_TOKEN as string);
  const codex = runOf("codex");
  expect(codex.argv).toContain('model_provider="dash"');
  const provider = codex.argv.find((a) => a.startsWith("model_providers.dash="));
  expect(provider).toContain(`base_url = "${codex.env.DASH_URL}/gateway/openai/v1"`);
  expect(provider).toContain('env_key = "DASH_AGENT_TOKEN"');
  // Nothing else reached the provider: every request it got is one of the two agents' calls.
  expect(requests.length).toBe(claude.seen.length + codex.seen.length);
});
