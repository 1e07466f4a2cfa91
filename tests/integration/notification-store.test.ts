import { afterAll, describe, expect, test } from "bun:test";
import { EventBus } from "../../src/bus/bus.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import { sinkRecord } from "../../src/notify/sinks.ts";
import { PostgresStore } from "../../src/storage/postgres.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import type { Store } from "../../src/storage/store.ts";
import { tempHome } from "../helpers.ts";
import { newPostgresDatabase, postgresMissing } from "../pg-server.ts";

/**
 * The NotificationStore on both databases with the same cases (so neither drifts): the events
 * trigger fills the outbox by pattern and swarm, a claim takes each row once with its lease, and
 * settling, listing and retrying behave alike. Runs both stores itself (not in the PG pass).
 */
const missing = postgresMissing();
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function open(kind: "sqlite" | "postgres"): Promise<Store> {
  if (kind === "sqlite") {
    const home = tempHome();
    const store = SqliteStore.open(`${home.dir}/dash.db`);
    closers.push(() => {
      store.close();
      home.cleanup();
    });
    return store;
  }
  const store = await PostgresStore.open(await newPostgresDatabase());
  closers.push(() => store.end());
  return store;
}

const sink = (name: string, events: string[], swarmId?: string) =>
  sinkRecord(
    name,
    { url: "http://127.0.0.1:9/", events, format: "json", ...(swarmId ? { swarmId } : {}) },
    "api",
    1,
  );

for (const kind of ["sqlite", "postgres"] as const) {
  const skip = kind === "postgres" && missing !== null && !process.env.CI;
  (skip ? describe.skip : describe)(`notification store: ${kind}`, () => {
    test("the trigger queues each committed event for each sink whose patterns and swarm match", async () => {
      const store = await open(kind);
      const n = store.notifications;
      const lifecycle = new Lifecycle(store, new EventBus());
      const { swarm: watched } = await lifecycle.createSwarm({ name: "w", task: "t", initialAgents: 1 });
      await n.putSink(sink("all", ["*"]));
      const mark = (await store.lastEventId()) ?? undefined;
      await n.putSink(sink("agents", ["agent.*"]));
      await n.putSink(sink("one", ["swarm.started", "swarm_started"], watched.id));
      await n.syncSinks("config", [
        sinkRecord(
          "cfg",
          { url: "http://127.0.0.1:9/", events: ["swarm.created"], format: "slack" },
          "config",
          2,
        ),
      ]);
      expect((await n.listSinks()).map((s) => [s.name, s.events, s.origin])).toEqual([
        ["agents", ["agent.*"], "api"],
        ["all", ["*"], "api"],
        ["cfg", ["swarm.created"], "config"],
        ["one", ["swarm.started", "swarm_started"], "api"],
      ]);
      const { swarm: other } = await lifecycle.createSwarm({ name: "o", task: "t", initialAgents: 1 });
      await lifecycle.moveSwarm(watched.id, { to: "active" });
      await lifecycle.moveSwarm(other.id, { to: "active" });
      const bySink = async (name: string) =>
        (await n.listNotifications({ sink: name })).map((r) => r.type).sort();
      expect(await bySink("cfg")).toEqual(["swarm.created"]);
      expect((await bySink("agents")).every((t) => t.startsWith("agent."))).toBe(true);
      expect((await bySink("agents")).length).toBeGreaterThan(0);
      const one = await n.listNotifications({ sink: "one" });
      expect(one.map((r) => [r.type, r.source])).toEqual([["swarm.started", watched.id]]);
      const events = await store.listEvents({ afterId: mark });
      expect((await bySink("all")).length).toBe(events.length);
      expect(await n.notificationCounts()).toMatchObject({ delivered: 0, dead: 0 });
      expect(await n.deleteSink("agents")).toBe(true);
      expect(await n.deleteSink("agents")).toBe(false);
      await n.syncSinks("config", []);
      expect((await n.listSinks()).map((s) => s.name)).toEqual(["all", "one"]);
    });

    test("a claim takes each due row once, with its lease; settling, listing and retrying", async () => {
      const store = await open(kind);
      const n = store.notifications;
      await n.putSink(sink("hook", ["swarm.created"]));
      const lifecycle = new Lifecycle(store, new EventBus());
      for (const name of ["a", "b", "c"]) await lifecycle.createSwarm({ name, task: "t" });
      const now = Date.now() + 1000;
      const [first, second] = await Promise.all([
        n.claimNotifications(now, now + 5000, 2),
        n.claimNotifications(now, now + 5000, 2),
      ]);
      const taken = [...(first ?? []), ...(second ?? [])];
      expect(taken.map((r) => r.id).sort()).toEqual([...new Set(taken.map((r) => r.id))].sort());
      expect(taken.length).toBe(3);
      expect(taken.every((r) => r.attempts === 1 && r.nextAt === now + 5000)).toBe(true);
      expect(await n.claimNotifications(now, now + 5000, 10)).toEqual([]);
      const [a, b, c] = taken.sort((x, y) => x.id - y.id);
      if (!a || !b || !c) throw new Error("three rows expected");
      await n.settleNotification(a.id, 1, { status: "delivered", at: now });
      await n.settleNotification(b.id, 1, { status: "pending", nextAt: now + 10, error: "HTTP 500" });
      await n.settleNotification(c.id, 1, { status: "dead", error: "gone" });
      await n.settleNotification(a.id, 7, { status: "dead", error: "a stale attempt" });
      const rows = new Map((await n.listNotifications()).map((r) => [r.id, r]));
      expect(rows.get(a.id)).toMatchObject({ status: "delivered", deliveredAt: now, lastError: null });
      expect(rows.get(b.id)).toMatchObject({ status: "pending", nextAt: now + 10, lastError: "HTTP 500" });
      expect(rows.get(c.id)).toMatchObject({ status: "dead", lastError: "gone" });
      expect((await n.listNotifications({ beforeId: c.id, limit: 1 })).map((r) => r.id)).toEqual([b.id]);
      expect((await n.listNotifications({ status: "dead" })).map((r) => r.id)).toEqual([c.id]);
      expect(await n.notificationCounts()).toEqual({ pending: 1, delivered: 1, dead: 1 });
      expect(await n.retryNotifications([a.id], now)).toBe(0);
      expect(await n.retryNotifications([], now)).toBe(0);
      expect(await n.retryNotifications([c.id], now + 20)).toBe(1);
      expect((await n.listNotifications({ status: "pending" })).find((r) => r.id === c.id)).toMatchObject({
        attempts: 0,
        retryFrom: now + 20,
      });
      await n.settleNotification(c.id, 0, { status: "dead", error: "again" });
      expect(await n.retryNotifications("dead", now + 30)).toBe(1);
      expect((await n.claimNotifications(now + 30, now + 99, 10)).map((r) => r.id).sort()).toEqual(
        [b.id, c.id].sort(),
      );
    });
  });
}
