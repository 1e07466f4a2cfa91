import { afterAll, describe, expect, test } from "bun:test";
import { EventBus } from "../../src/bus/bus.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import { pruneEvents } from "../../src/core/retention.ts";
import { testLifecycle } from "../helpers.ts";

const t = testLifecycle();
afterAll(() => t.close());

async function usageEvents(lifecycle: Lifecycle, agentId: string, n: number) {
  for (let i = 0; i < n; i++)
    await lifecycle.recordUsage(agentId, { promptTokens: 1, completionTokens: 1, costUsd: 0.001 });
}

describe("event retention", () => {
  test("keeps only the newest N rows, deleting in batches", async () => {
    const { agents } = await t.lifecycle.createSwarm({ name: "ret", task: "t" });
    await usageEvents(t.lifecycle, agents[0]?.id as string, 3000);
    const newest = (await t.store.listEvents()).slice(-1000).map((e) => e.id);
    const deleted = await pruneEvents(
      t.store,
      { retentionDays: 0, retentionMaxRows: 1000 },
      { batchSize: 250 },
    );
    expect(deleted).toBe(2002); // 3000 usage + swarm.created + agent.spawned, minus 1000 kept
    expect((await t.store.listEvents()).map((e) => e.id)).toEqual(newest);
  }, 60_000);

  test("deletes events older than the retention age and nothing newer", async () => {
    const old = Date.now() - 40 * 86_400_000;
    const oldStore = t.another({ now: () => old });
    const oldLifecycle = new Lifecycle(oldStore, new EventBus(), { now: () => old });
    const { agents } = await oldLifecycle.createSwarm({ name: "old", task: "t" });
    await usageEvents(oldLifecycle, agents[0]?.id as string, 10);
    oldStore.close();
    const before = await t.countEvents();
    const deleted = await pruneEvents(t.store, { retentionDays: 30, retentionMaxRows: 1_000_000 });
    expect(deleted).toBe(12);
    expect(await t.countEvents()).toBe(before - 12);
    expect((await t.store.listEvents({ since: 0 })).every((e) => e.timestamp > old)).toBe(true);
  }, 60_000);

  test("writers keep committing while a long prune runs", async () => {
    const { agents } = await t.lifecycle.createSwarm({ name: "busy", task: "t" });
    const id = agents[0]?.id as string;
    await usageEvents(t.lifecycle, id, 5000);
    let pruneDone = false;
    const prune = pruneEvents(t.store, { retentionDays: 0, retentionMaxRows: 1000 }, { batchSize: 100 }).then(
      (n) => {
        pruneDone = true;
        return n;
      },
    );
    let writesDuringPrune = 0;
    while (!pruneDone) {
      await t.lifecycle.recordUsage(id, { promptTokens: 1, completionTokens: 0, costUsd: 0 });
      writesDuringPrune++;
      await new Promise((r) => setImmediate(r));
    }
    expect(await prune).toBeGreaterThan(4000);
    expect(writesDuringPrune).toBeGreaterThan(5);
    expect((await t.store.getAgent(id))?.promptTokens).toBe(5000 + writesDuringPrune);
  }, 60_000);
});
