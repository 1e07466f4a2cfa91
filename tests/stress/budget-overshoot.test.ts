/**
 * Issue 7: budgets that cannot be overshot. 50 real agent processes report usage over HTTP at the
 * same time against one $1 budget whose hard stop (100%) kills. Each agent waits for the answer's
 * `admitted` before its next step, so the only spend past the allocation is what steps cost beyond
 * what admission reserved for them: at most one in-flight report per agent.
 */
import { expect, test } from "bun:test";
import { serverWithAgents } from "../agents-helpers.ts";
import { until } from "../helpers.ts";

const AGENTS = 50;
const STEP_USD = 0.015; // more than the 1% ($0.01) admission reserves, so overshoot is possible
const { s } = await serverWithAgents({ maxConcurrency: AGENTS });

/** Reports a step, and takes the next only when admitted; otherwise waits to be stopped. */
const AGENT = `
const url = process.env.DASH_URL + "/api/agents/" + process.env.DASH_AGENT_ID + "/usage";
const headers = { authorization: "Bearer " + process.env.DASH_AGENT_TOKEN, "content-type": "application/json" };
const body = JSON.stringify({ promptTokens: 100, completionTokens: 50, costUsd: ${STEP_USD} });
for (;;) {
  const res = await fetch(url, { method: "POST", headers, body });
  const { admitted } = await res.json();
  if (!admitted) break;
}
await Bun.sleep(60_000);
`;

test(`${AGENTS} agents reporting at once cannot jointly overshoot a $1 budget by more than one report each`, async () => {
  // The kill at 100% is the only action (no pause at 90%): admission alone holds the agents back.
  const { swarm, agents } = await s.t.lifecycle.createSwarm({
    name: "overshoot",
    task: "spend",
    initialAgents: AGENTS,
    budget: { amount: 1, actions: { critical: "notify", hardStop: "kill" } },
    config: { command: [process.execPath, "-e", AGENT] },
  });
  await s.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  const ids = agents.map((a) => a.id);
  await until(async () => (await s.t.store.getSwarm(swarm.id))?.status === "failed", 60_000);
  const budget = await s.t.store.getBudget("swarm", swarm.id);
  const final = await s.t.store.listAgents({ swarmId: swarm.id });
  const spent = (budget?.spentUnits ?? 0) / 1e6;
  const bound = 1 + AGENTS * STEP_USD;
  console.log(
    `overshoot: $${spent.toFixed(3)} spent of $1 (bound $${bound.toFixed(2)}), ${final.length} agents`,
  );
  expect(spent).toBeGreaterThanOrEqual(1);
  expect(spent).toBeLessThanOrEqual(bound);
  // Every agent stopped: killed by the hard stop (none ran on, none completed).
  expect(final.map((a) => a.status)).toEqual(ids.map(() => "killed"));
  expect(final.reduce((n, a) => n + a.costMicros, 0)).toBe(budget?.spentUnits as number);
  const alerts = s.t.published.filter((e) => e.source === swarm.id && e.type.startsWith("budget."));
  expect(alerts.map((e) => [e.type, e.data.level])).toEqual([
    ["budget.threshold", "warning"],
    ["budget.threshold", "critical"],
    ["budget.threshold", "hardStop"],
    ["budget.exceeded", "hardStop"],
  ]);
}, 90_000);
