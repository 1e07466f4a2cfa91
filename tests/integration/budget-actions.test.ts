/**
 * Budget actions with real agents: the critical threshold pauses the swarm and its running agent,
 * more money resumes them; a project budget above a swarm's stops its agents at its hard stop.
 */
import { afterAll, expect, test } from "bun:test";
import { sh, testScheduler } from "../agents-helpers.ts";
import { until } from "../helpers.ts";

const s = await testScheduler();
afterAll(() => s.close());

const spend = (usd: number) =>
  sh(`echo '{"dash":"usage","promptTokens":1,"completionTokens":1,"costUsd":${usd}}'; sleep 30`);

test("90% pauses the swarm and its agent (held by the budget); allocating more resumes both", async () => {
  const { swarm, agents } = await s.t.lifecycle.createSwarm({
    name: "pause-at-90",
    task: "spend",
    budget: { amount: 1, step: 0.01 },
    config: { command: spend(0.95) },
  });
  await s.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  const id = agents[0]?.id as string;
  await until(async () => (await s.t.store.getSwarm(swarm.id))?.status === "paused", 10_000);
  await until(async () => (await s.t.store.getAgent(id))?.status === "paused", 10_000);
  expect((await s.t.store.getSwarm(swarm.id))?.heldBy).toBe("budget");
  const alerts = s.t.published.filter((e) => e.source === swarm.id && e.type === "budget.threshold");
  expect(alerts.map((e) => [e.data.level, e.data.action])).toEqual([
    ["warning", "notify"],
    ["critical", "pause"],
  ]);
  await s.t.lifecycle.allocateBudget({ swarmId: swarm.id }, 1);
  await until(async () => (await s.t.store.getSwarm(swarm.id))?.status === "active", 10_000);
  await until(async () => (await s.t.store.getAgent(id))?.status === "running", 10_000);
  expect((await s.t.store.getBudget("swarm", swarm.id))?.alertLevel).toBe(0);
  await s.t.lifecycle.moveAgent(id, { to: "killed" });
}, 30_000);

test("the pause asks a person whether the swarm may go on; approving resumes it and its agent", async () => {
  const { swarm, agents } = await s.t.lifecycle.createSwarm({
    name: "ask-at-90",
    task: "spend",
    budget: { amount: 1, step: 0.01 },
    config: { command: spend(0.95) },
  });
  await s.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  const id = agents[0]?.id as string;
  await until(async () => (await s.t.store.getAgent(id))?.status === "paused", 10_000);
  // The request is its own transaction after the pause: wait for it, not for the pause alone.
  await until(async () => (await s.t.store.listApprovals({ swarmId: swarm.id })).length > 0, 10_000);
  const [asked, ...more] = await s.t.store.listApprovals({ swarmId: swarm.id });
  expect(more).toEqual([]);
  expect(asked).toMatchObject({ kind: "budget", status: "pending", agentId: null });
  expect(asked?.title).toBe("swarm ask-at-90 was paused at 95% of its budget: let it go on?");
  expect(asked?.details).toMatchObject({ spent: 0.95, allocated: 1, currency: "USD" });
  await s.t.lifecycle.answerApproval(asked?.id as string, { status: "approved", by: "test" });
  await until(async () => (await s.t.store.getSwarm(swarm.id))?.status === "active", 10_000);
  await until(async () => (await s.t.store.getAgent(id))?.status === "running", 10_000);
  // Spent money is not given back: the budget still says 95%; only the hold was lifted.
  expect((await s.t.store.getBudget("swarm", swarm.id))?.spentUnits).toBe(950_000);
  await s.t.lifecycle.moveAgent(id, { to: "killed" });
}, 30_000);

test("a project budget's hard stop kills the agents of its swarms, whatever their own budgets say", async () => {
  const project = await s.t.lifecycle.allocateBudget({ project: "acme" }, 1);
  expect(project).toMatchObject({ entityType: "project", parentBudgetId: null, allocatedUnits: 1_000_000 });
  const { swarm, agents } = await s.t.lifecycle.createSwarm({
    name: "in-acme",
    task: "spend",
    budget: { amount: 5, project: "acme" },
    config: { command: spend(1.2) },
  });
  // An agent's own budget hangs under its swarm's, in its currency.
  const own = await s.t.lifecycle.allocateBudget({ agentId: agents[0]?.id as string }, 3);
  const swarmBudget = await s.t.store.getBudget("swarm", swarm.id);
  expect(own).toMatchObject({ entityType: "agent", parentBudgetId: swarmBudget?.id, currency: "USD" });
  await s.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  const killed = await s.waitFor(agents[0]?.id as string, ["killed"]);
  expect((await s.t.store.getBudget("agent", killed.id))?.spentUnits).toBe(1_200_000);
  expect(killed.costMicros).toBe(1_200_000);
  expect((await s.t.store.getBudget("project", "acme"))?.spentUnits).toBe(1_200_000);
  expect((await s.t.store.getBudget("swarm", swarm.id))?.alertLevel).toBe(0); // $1.20 of $5: under 75%
  const exceeded = s.t.published.find((e) => e.type === "budget.exceeded" && e.source === "acme");
  expect(exceeded?.data).toMatchObject({ entityType: "project", action: "kill" });
  await expect(
    s.t.lifecycle.createSwarm({
      name: "x",
      task: "t",
      budget: { amount: 1, currency: "tokens", project: "acme" },
    }),
  ).rejects.toThrow(/budgets in USD/);
}, 30_000);
