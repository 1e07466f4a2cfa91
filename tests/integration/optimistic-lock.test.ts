import { afterAll, describe, expect, test } from "bun:test";
import { EventBus } from "../../src/bus/bus.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import { ConcurrencyConflictError } from "../../src/domain/errors.ts";
import { testLifecycle } from "../helpers.ts";

const t = testLifecycle();
// A second writer with its own connection to the same file, as another process would have.
const otherStore = t.another();
const other = new Lifecycle(otherStore, new EventBus());
afterAll(() => {
  otherStore.close();
  t.close();
});

async function runningAgent() {
  const { agents } = await t.lifecycle.createSwarm({ name: "lock", task: "t" });
  const id = agents[0]?.id as string;
  await t.lifecycle.moveAgent(id, { to: "spawning" });
  return t.lifecycle.moveAgent(id, { to: "running" });
}

describe("optimistic locking", () => {
  for (const [label, second] of [
    ["same connection", () => t.lifecycle],
    ["two connections", () => other],
  ] as const) {
    test(`${label}: two writers with the same version, exactly one wins`, async () => {
      const agent = await runningAgent();
      const events = await t.countEvents();
      const outcomes = await Promise.allSettled([
        t.lifecycle.moveAgent(agent.id, { to: "paused", expectedVersion: agent.version }),
        second().moveAgent(agent.id, { to: "completed", expectedVersion: agent.version }),
      ]);
      const won = outcomes.filter((o) => o.status === "fulfilled");
      const lost = outcomes.filter((o) => o.status === "rejected");
      expect(won.length).toBe(1);
      expect(lost.length).toBe(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyConflictError);
      expect((lost[0] as PromiseRejectedResult).reason.status).toBe(409);

      // Nothing lost: the winner's change and its one event are there; the loser wrote nothing.
      const now = await t.store.getAgent(agent.id);
      expect(now?.version).toBe(agent.version + 1);
      expect(now?.status).toBe("paused");
      expect(await t.countEvents()).toBe(events + 1);

      // The loser re-reads and tries again on the new version: its change now lands.
      const retried = await second().moveAgent(agent.id, { to: "completed", expectedVersion: now?.version });
      expect(retried.status).toBe("completed");
      expect(await t.countEvents()).toBe(events + 2);
    });
  }

  test("progress with a stale version is a conflict; without one it applies", async () => {
    const agent = await runningAgent();
    await t.lifecycle.reportProgress(agent.id, { current: 1, total: 5 }, agent.version);
    await expect(
      t.lifecycle.reportProgress(agent.id, { current: 2, total: 5 }, agent.version),
    ).rejects.toBeInstanceOf(ConcurrencyConflictError);
    const after = await t.lifecycle.reportProgress(agent.id, { current: 2, total: 5 });
    expect(after.progressCurrent).toBe(2);
    expect(t.lifecycle.conflicts).toBeGreaterThanOrEqual(1);
  });
});
