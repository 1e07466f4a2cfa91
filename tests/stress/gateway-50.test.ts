/**
 * Issue 23, acceptance 2: 50 real agent processes, each making four streaming calls at once
 * (round after round, all three wire formats) through the metering gateway of a real server, on
 * one small budget that runs out mid-way. Three runs, each its own swarm and budget. After every
 * agent has ended: spend never passed the budget, the budget's spend is the sum of the settled
 * calls' costs and of the agents' costs to the micro-dollar, nothing is left reserved, calls
 * were refused for money, and the gateway answered no 5xx.
 */
import { afterAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NO_GATEWAY } from "../../src/api/gateway/gateway.ts";
import type { AgentRecord } from "../../src/domain/agent.ts";
import type { ModelCallRecord } from "../../src/domain/model-call.ts";
import type { Provider } from "../../src/domain/provider.ts";
import { PRICES } from "../../src/runtimes/pricing.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { testScheduler } from "../agents-helpers.ts";
import { testServer } from "../api-helpers.ts";
import { startMeteredProvider } from "../fake-metered-provider.ts";
import { ROOT, tempHome, until } from "../helpers.ts";

const AGENTS = 50;
const [ROUNDS, PARALLEL, MAX_TOKENS] = [3, 4, 200];
// 80 output tokens streamed 3 ms apart: each call is in flight long enough to overlap the others.
const PROMPT = "OUT:80 DELAY:3 stress the budget";
const ENDED = ["completed", "failed", "killed"];

const provider = startMeteredProvider();
process.env.DASH_STRESS_PROVIDER_KEY = "sk-stress-operator";
const upstream = { apiKeyEnv: "DASH_STRESS_PROVIDER_KEY", maxTokensField: "max_completion_tokens" as const };
const providers: Record<string, Provider> = {
  anthropic: { api: "anthropic", baseUrl: provider.url, ...upstream },
  openai: { api: "openai", baseUrl: `${provider.url}/v1`, ...upstream },
};
// Calls wait for room long enough that it is the money running out that stops the agents.
const gateway = { ...NO_GATEWAY, providers, prices: PRICES, waitMs: 10_000, minOutputTokens: 16 };
const api = await testServer({}, { gateway });
const store = api.t.store;
// The agents are metered by the gateway the way Claude Code and Codex are (a preset of their
// kind, so no step of theirs is reserved besides their calls), but each is a small script
// (tests/fixtures/gateway-streamer.ts) so that 50 of them fit on two cores. The task names the
// run's gate directory.
const streamer = {
  kind: "claude-code" as const,
  command: [
    process.execPath,
    `${ROOT}/tests/fixtures/gateway-streamer.ts`,
    ...[ROUNDS, PARALLEL, MAX_TOKENS].map(String),
    PROMPT,
    "{task}",
  ],
};
const s = await testScheduler({
  t: api.t,
  url: `http://127.0.0.1:${api.server.port}`,
  providers,
  presets: { streamer },
  maxConcurrency: AGENTS,
});
afterAll(async () => {
  await s.close();
  await api.close();
  provider.stop();
});

/** An active swarm of streaming agents whose budget only notifies until its hard stop. */
async function startSwarm(gate: string, budgetUsd: number) {
  const created = await api.t.lifecycle.createSwarm({
    name: `g50-${budgetUsd}`,
    task: gate,
    initialAgents: AGENTS,
    budget: { amount: budgetUsd, currency: "USD", threshold: 75, actions: { critical: "notify" } },
    config: { runtime: "streamer", model: "claude-sonnet-4-5", fileSandbox: false, maxRetries: 0 },
  });
  await api.t.lifecycle.moveSwarm(created.swarm.id, { to: "active" });
  return created.swarm;
}

/** Gateway answers by status so far, from the server's own request metrics. */
async function gatewayStatuses(): Promise<Map<string, number>> {
  const text = await (await api.call("GET", "/metrics", api.keys.read)).text();
  const counts = new Map<string, number>();
  const series =
    /^dash_http_request_duration_seconds_count\{[^}]*route="\/gateway[^}]*status="(\d+)"\} (\d+)$/gm;
  for (const [, status, n] of text.matchAll(series)) {
    counts.set(status as string, (counts.get(status as string) ?? 0) + Number(n));
  }
  return counts;
}

/** The most admitted calls at the gateway at one moment (from their arrival, waits included, to close). */
function peakInFlight(calls: ModelCallRecord[]): number {
  const edges: [number, number][] = calls
    .filter((c) => c.status !== "refused")
    .flatMap((c): [number, number][] => [
      [c.startedAt, 1],
      [c.endedAt ?? Number.MAX_SAFE_INTEGER, -1],
    ])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, step] of edges) {
    now += step;
    peak = Math.max(peak, now);
  }
  return peak;
}

/** Refusals by reason: no money left, room still held by calls in flight after the wait, agent stopped. */
const why = (refused: ModelCallRecord[]) =>
  ["no room left", "held by calls in flight", "stopped by its budget", "only a running agent"]
    .map((reason) => `${refused.filter((c) => c.error?.includes(reason)).length} ${reason}`)
    .join(", ");

const logOf = (a: AgentRecord) => readFileSync(runFiles(api.t.dir, a.id, a.retryCount).log, "utf8");

for (const [run, budgetUsd] of [
  [1, 0.05],
  [2, 0.1],
  [3, 0.2],
] as const) {
  test(`run ${run}: ${AGENTS} agents × ${PARALLEL} concurrent streams on $${budgetUsd}: never over, exact, nothing held`, async () => {
    const before = await gatewayStatuses();
    const seenBefore = provider.calls.length;
    const gate = tempHome("dash-gate-");
    try {
      const swarm = await startSwarm(gate.dir, budgetUsd);
      // Every agent's process is up before any calls: then all 200 calls arrive at once.
      await until(() => readdirSync(gate.dir).length === AGENTS, 30_000);
      const started = performance.now();
      writeFileSync(join(gate.dir, "go"), "");
      let agents: AgentRecord[] = [];
      await until(async () => {
        agents = await store.listAgents({ swarmId: swarm.id });
        return agents.every((a) => ENDED.includes(a.status));
      }, 30_000);
      // A killed agent's streams are settled when the server sees its connections close: give it
      // a moment, then every call must be closed (an open one would hold its reservation for good).
      let calls = await store.listCalls({ swarmId: swarm.id });
      await until(async () => {
        calls = await store.listCalls({ swarmId: swarm.id });
        return calls.every((c) => c.status !== "open");
      }, 5_000).catch(() => {});
      const endedMs = Math.round(performance.now() - started);
      agents = await store.listAgents({ swarmId: swarm.id }); // as those late settlements left them

      const budget = await store.getBudget("swarm", swarm.id);
      if (!budget) throw new Error("the swarm has no budget");
      const byStatus = (status: string) => calls.filter((c) => c.status === status);
      const [settled, refused] = [byStatus("settled"), byStatus("refused")];
      const capped = calls.filter((c) => c.maxTokens !== null && c.maxTokens < MAX_TOKENS);
      const sum = (xs: { costMicros: number }[]) => xs.reduce((n, x) => n + x.costMicros, 0);
      const count = (status: string) => `${agents.filter((a) => a.status === status).length} ${status}`;
      console.log(
        `run ${run}: $${(budget.spentUnits / 1e6).toFixed(6)} spent of $${budgetUsd}, calls ended ${endedMs} ms after the go; ` +
          `${calls.length} calls: ${settled.length} settled (${capped.length} capped), ${refused.length} refused (${why(refused)}), ` +
          `${byStatus("released").length} released, ${settled.filter((c) => c.error).length} cut mid-stream, peak ${peakInFlight(calls)} at once; agents ${count("completed")}, ${count("killed")}`,
      );

      expect(agents).toHaveLength(AGENTS);
      expect(calls.filter((c) => c.status === "open")).toEqual([]);
      expect(await store.reservedUnits(budget)).toBe(0);
      expect(calls.every((c) => c.reservedUnits === 0)).toBe(true);
      expect(budget.spentUnits).toBeLessThanOrEqual(budget.allocatedUnits);
      expect(budget.spentUnits).toBe(sum(calls));
      expect(budget.spentUnits).toBe(sum(settled));
      expect(budget.spentUnits).toBe(sum(agents));
      // The money ran out mid-way: calls were refused for it, and their agents killed for it.
      expect(refused.some((c) => c.error?.startsWith("Dash budget: no room left"))).toBe(true);
      expect(
        agents.some(
          (a) => a.status === "killed" && (a.error as { reason?: string } | null)?.reason === "budget",
        ),
      ).toBe(true);
      expect(settled.length).toBeGreaterThan(0);
      // Only admitted calls reached the provider, each with at most the cap it asked for.
      const seen = provider.calls.slice(seenBefore);
      expect(seen.length).toBe(calls.length - refused.length);
      expect(seen.every((c) => c.maxTokens !== null && c.maxTokens <= MAX_TOKENS)).toBe(true);
      expect(seen.every((c) => c.authorization?.includes("sk-stress-operator"))).toBe(true);
      // No 5xx from the gateway, no failure in its log, and no connection an agent saw reset.
      const after = await gatewayStatuses();
      const fivexx = [...after].filter(
        ([status, n]) => Number(status) >= 500 && n > (before.get(status) ?? 0),
      );
      expect(fivexx).toEqual([]);
      expect(api.lines.filter((l) => /gateway call failed|settling a gateway call failed/.test(l))).toEqual(
        [],
      );
      expect(agents.flatMap((a) => logOf(a).split("\n")).filter((l) => / error /.test(l))).toEqual([]);
    } finally {
      gate.cleanup();
    }
  }, 60_000);
}
