import { afterAll, describe, expect, test } from "bun:test";
import { nextEventId } from "../../src/domain/ids.ts";
import { TEST_STORE, testLifecycle } from "../helpers.ts";

const t = testLifecycle();
afterAll(() => t.close());

describe("events", () => {
  test("read back in id order, they equal the order of commits and of publication", async () => {
    const { agents } = await t.lifecycle.createSwarm({ name: "order", task: "t", initialAgents: 20 });
    const start = t.published.length;
    // Commits happen in the order the writes are issued (one connection, immediate transactions);
    // record that order as (type, agent) and compare it with the table read back by id.
    const issued: string[] = [];
    const writes = [...agents].reverse().flatMap((a) => {
      issued.push(`agent.starting ${a.id}`, `agent.usage ${a.id}`);
      return [
        t.lifecycle.moveAgent(a.id, { to: "spawning" }),
        t.lifecycle.recordUsage(a.id, { promptTokens: 1, completionTokens: 1, costUsd: 0.01 }),
      ];
    });
    await Promise.all(writes);
    const stored = (await t.store.listEvents()).slice(start);
    // One SQLite connection commits in the order the writes are issued; a PostgreSQL pool need not
    // (its commit order is the seq, and that is what is published, below).
    if (TEST_STORE === "sqlite") expect(stored.map((e) => `${e.type} ${e.source}`)).toEqual(issued);
    else expect(stored.map((e) => `${e.type} ${e.source}`).sort()).toEqual([...issued].sort());
    expect(t.published.slice(start)).toEqual(stored);
    const ids = stored.map((e) => e.id);
    expect([...ids].sort()).toEqual(ids);
  });

  // A SQLite trigger makes the insert fail; on PostgreSQL the store contract rolls back instead.
  test.skipIf(TEST_STORE === "postgres")(
    "a rolled-back transaction writes and publishes nothing",
    async () => {
      const { agents } = await t.lifecycle.createSwarm({ name: "rollback", task: "t" });
      const id = agents[0]?.id as string;
      await t.lifecycle.moveAgent(id, { to: "spawning" });
      await t.lifecycle.moveAgent(id, { to: "running" });
      const before = await t.store.getAgent(id);
      const events = await t.countEvents();
      const published = t.published.length;
      // Make the event insert fail AFTER the agent row was updated in the same transaction.
      t.store.db.run(
        "CREATE TEMP TRIGGER fail_completed BEFORE INSERT ON events WHEN NEW.type = 'agent.completed' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
      );
      try {
        await expect(t.lifecycle.moveAgent(id, { to: "completed" })).rejects.toThrow("disk on fire");
      } finally {
        t.store.db.run("DROP TRIGGER fail_completed");
      }
      expect(await t.store.getAgent(id)).toEqual(before);
      expect(await t.countEvents()).toBe(events);
      expect(t.published.length).toBe(published);
      // The same move succeeds afterwards: the failure left no half-written state behind.
      expect((await t.lifecycle.moveAgent(id, { to: "completed" })).status).toBe("completed");
    },
  );

  test("the next id sorts after the last even when the clock steps back", () => {
    const last = nextEventId(null, 2_000_000_000_000);
    const next = nextEventId(last, 1_000_000_000_000);
    expect(next > last).toBe(true);
    expect(nextEventId(next, 3_000_000_000_000) > next).toBe(true);
  });
});
