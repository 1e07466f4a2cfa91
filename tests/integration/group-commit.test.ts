import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { EventBus } from "../../src/bus/bus.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import { InvalidTransitionError } from "../../src/domain/errors.ts";
import type { EventRecord } from "../../src/domain/event.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import { openDatabase } from "../../src/storage/sqlite-db.ts";
import { GroupCommit } from "../../src/storage/sqlite-group-commit.ts";
import { tempHome } from "../helpers.ts";

/**
 * The SQLite store's group commit (sqlite-group-commit.ts): writes asked for in one turn share one
 * transaction, each still succeeds or fails on its own, and nothing is seen or published before
 * its COMMIT, in commit order.
 */
const home = tempHome();
afterAll(() => home.cleanup());
let n = 0;
const open = () => {
  const path = `${home.dir}/g${n++}.db`;
  return { path, store: SqliteStore.open(path) };
};

describe("group commit", () => {
  test("writes of one turn commit together; a refused one fails alone; events arrive in commit order", async () => {
    const { path, store } = open();
    const bus = new EventBus();
    const seen: EventRecord[] = [];
    bus.subscribe((event) => seen.push(event));
    const lifecycle = new Lifecycle(store, bus);
    const { swarm, agents } = await lifecycle.createSwarm({ name: "g", task: "t", initialAgents: 5 });
    const other = new Database(path, { strict: true });
    const before = seen.length;
    // One turn: a swarm move, four agent moves, one refused move (idle → paused), a new swarm.
    const writes = [
      lifecycle.moveSwarm(swarm.id, { to: "active" }),
      ...agents.slice(0, 4).map((a) => lifecycle.moveAgent(a.id, { to: "spawning" })),
      lifecycle.moveAgent(agents[4]?.id as string, { to: "paused" }),
      lifecycle.createSwarm({ name: "g2", task: "t", initialAgents: 2 }),
    ];
    // The createSwarm above was this turn's first write (committed at once): these wait for the
    // next turn, together, so another connection sees none of them yet.
    const status = () =>
      other.query<{ status: string }, [string]>("SELECT status FROM swarms WHERE id = ?").get(swarm.id)
        ?.status;
    expect(status()).toBe("creating");
    const settled = await Promise.allSettled(writes);
    expect(settled.map((s) => s.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect((settled[5] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidTransitionError);
    expect(status()).toBe("active");
    expect((await store.getAgent(agents[4]?.id as string))?.status).toBe("idle");
    const published = seen.slice(before);
    expect(published.length).toBe(1 + 4 + 1 + 2);
    // The bus got exactly the committed events, in the order of their ids (commit order).
    const committed = await store.listEvents({ afterId: seen[before - 1]?.id });
    expect(published.map((e) => e.id)).toEqual(committed.map((e) => e.id));
    other.close();
    store.close();
  });

  test("the first write of a turn commits at once, as without grouping", async () => {
    const { path, store } = open();
    const lifecycle = new Lifecycle(store, new EventBus());
    const { swarm } = await lifecycle.createSwarm({ name: "f", task: "t", initialAgents: 1 });
    await Bun.sleep(1); // a new turn
    const other = new Database(path, { strict: true });
    const moved = lifecycle.moveSwarm(swarm.id, { to: "active" });
    const row = other
      .query<{ status: string }, [string]>("SELECT status FROM swarms WHERE id = ?")
      .get(swarm.id);
    expect(row?.status).toBe("active");
    expect((await moved).status).toBe("active");
    other.close();
    store.close();
  });

  test("a lone refused write gets its own error and writes nothing", async () => {
    const { store } = open();
    const lifecycle = new Lifecycle(store, new EventBus());
    const { agents } = await lifecycle.createSwarm({ name: "l", task: "t", initialAgents: 1 });
    const id = agents[0]?.id as string;
    const events = (await store.listEvents()).length;
    expect(lifecycle.moveAgent(id, { to: "running" })).rejects.toBeInstanceOf(InvalidTransitionError);
    await Bun.sleep(5);
    expect((await store.getAgent(id))?.version).toBe(1);
    expect((await store.listEvents()).length).toBe(events);
    store.close();
  });

  test("closing the store commits what was asked for and not yet committed", async () => {
    const { path, store } = open();
    const lifecycle = new Lifecycle(store, new EventBus());
    const pending = lifecycle.createSwarm({ name: "c", task: "t", initialAgents: 1 });
    store.close();
    const { swarm } = await pending;
    const reopened = SqliteStore.open(path);
    expect((await reopened.getSwarm(swarm.id))?.name).toBe("c");
    reopened.close();
  });

  test("when the transaction cannot begin (the database stays locked), the write fails", async () => {
    const { path, store } = open();
    store.close();
    const db = openDatabase(path, 1);
    const holder = openDatabase(path);
    holder.run("BEGIN IMMEDIATE");
    const commits = new GroupCommit(db);
    const result = await commits.write(() => 1).catch((error: unknown) => error);
    expect(String(result)).toContain("locked");
    holder.run("ROLLBACK");
    holder.close();
    db.close();
  });
});
