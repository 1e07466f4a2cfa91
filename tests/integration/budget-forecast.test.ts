/**
 * Burn rate and projection (issue 7): the EWMA reads a steady rate right, the projection comes
 * from progress when agents report it, and `budget.projected` fires before the spend reaches the
 * allocation, once.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { AgentRecord } from "../../src/domain/agent.ts";
import type { BudgetRecord } from "../../src/domain/budget.ts";
import { decideForecast, progressProjection } from "../../src/safety/forecast.ts";
import { testScheduler } from "../agents-helpers.ts";
import { until } from "../helpers.ts";

describe("decideForecast (pure)", () => {
  const budget = (spent: number, forecast: BudgetRecord["forecast"] = null) =>
    ({
      id: "b",
      entityType: "swarm",
      entityId: "s",
      currency: "USD",
      allocatedUnits: 10_000_000,
      spentUnits: spent,
      forecast,
      projectedAction: "notify",
    }) as BudgetRecord;

  test("a steady $1/min sampled every 5 s reads $1/min (±1%) from the second sample on, and projects 5 minutes ahead", () => {
    let b = budget(100);
    const start = 1_000_000;
    let events: string[] = [];
    for (let i = 0; i <= 24; i++) {
      const now = start + i * 5000;
      const spent = 100 + Math.round((i * 5000 * 1_000_000) / 60_000);
      const change = decideForecast({ ...b, spentUnits: spent }, now, null);
      if (!change) continue;
      b = { ...b, ...change.patch, spentUnits: spent } as BudgetRecord;
      events = [...events, ...change.events.map((e) => e.type)];
      if (i >= 1) expect((b.burnRate ?? 0) / 1e6).toBeCloseTo(1, 1);
    }
    expect(Math.abs((b.burnRate ?? 0) / 1e6 - 1)).toBeLessThan(0.01);
    expect(((b.projectedFinalUnits ?? 0) - b.spentUnits) / 1e6).toBeCloseTo(5, 1);
    expect(b.forecast?.minutesLeft).toBeCloseTo((10_000_000 - b.spentUnits) / (b.burnRate ?? 1), 6);
    // Projected at 2 + 5 = 7 < 10 after two minutes: no event yet.
    expect(events).toEqual([]);
  });

  test("progress says where the live agents will end: cost so far ÷ fraction done, queued ones at the average", () => {
    const agent = (status: string, cost: number, current = 0, total = 0) =>
      ({ status, costMicros: cost, progressCurrent: current, progressTotal: total }) as AgentRecord;
    expect(
      progressProjection([
        agent("running", 100, 1, 4),
        agent("running", 300, 3, 4),
        agent("completed", 50),
        agent("idle", 0),
      ]),
    ).toBe(50 + 400 + 400 + 400);
    expect(progressProjection([agent("running", 100, 1, 4), agent("running", 300)])).toBeNull();
  });
});

const s = await testScheduler({ forecastMs: 200 });
afterAll(() => s.close());

describe("a real swarm at a steady burn", () => {
  // $0.005 every 50 ms, paced by the clock: exactly $6 a minute.
  const AGENT = `
const start = Date.now();
for (let i = 1; ; i++) {
  const wait = start + i * 50 - Date.now();
  if (wait > 0) await Bun.sleep(wait);
  console.log(JSON.stringify({ dash: "usage", promptTokens: 1, completionTokens: 1, costUsd: 0.005 }));
}`;

  test("the burn rate is right (±5%) and budget.projected fires before the spend reaches the allocation", async () => {
    const { swarm } = await s.t.lifecycle.createSwarm({
      name: "burn",
      task: "spend steadily",
      budget: { amount: 2, actions: { critical: "notify", hardStop: "kill" } },
      config: { command: [process.execPath, "-e", AGENT] },
    });
    await s.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
    await until(async () => {
      const b = await s.t.store.getBudget("swarm", swarm.id);
      return b?.forecast !== null && Date.now() - (b?.forecast?.since ?? Date.now()) > 4000;
    }, 15_000);
    const budget = (await s.t.store.getBudget("swarm", swarm.id)) as BudgetRecord;
    const perMinute = (budget.burnRate ?? 0) / 1e6;
    console.log(
      `burn rate: $${perMinute.toFixed(3)}/min (true: $6.000/min), ${budget.forecast?.minutesLeft?.toFixed(2)} min left`,
    );
    expect(Math.abs(perMinute - 6) / 6).toBeLessThan(0.05);
    const alerts = s.t.published.filter((e) => e.source === swarm.id && e.type.startsWith("budget."));
    expect(alerts.map((e) => e.type).filter((t) => t === "budget.projected")).toHaveLength(1);
    const projected = alerts.find((e) => e.type === "budget.projected");
    expect(projected?.data).toMatchObject({ basis: "burn rate", action: "notify" });
    expect(projected?.data.spent as number).toBeLessThan(2);
    expect(alerts.findIndex((e) => e.type === "budget.projected")).toBeLessThan(
      alerts.findIndex((e) => e.data.level === "hardStop") === -1
        ? Infinity
        : alerts.findIndex((e) => e.data.level === "hardStop"),
    );
    await s.t.lifecycle.moveAgent((await s.t.store.listAgents({ swarmId: swarm.id }))[0]?.id as string, {
      to: "killed",
    });
  }, 30_000);
});
