import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AgentPages } from "../../src/api/agent-pages.ts";
import { EventBus } from "../../src/bus/bus.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import { toAgentResponse } from "../../src/domain/agent.ts";
import { newId } from "../../src/domain/ids.ts";
import { createApiKey } from "../../src/safety/api-keys.ts";
import { PostgresStore } from "../../src/storage/postgres.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import type { Store } from "../../src/storage/store.ts";
import { tempHome } from "../helpers.ts";
import { newPostgresDatabase, postgresMissing } from "../pg-server.ts";

/**
 * What the HTTP API's fast paths rely on (issue 29), on both stores: a swarm created and started
 * in one transaction, agents listed by id and version, pages of serialised agents reused only
 * while their rows are unchanged (also when another process or node changed them), and API keys
 * looked up once per second at most, except after a change made through the store.
 */
type Kind = "sqlite" | "postgres";
const text = async (body: Promise<Blob>) => (await body).text();

interface Two {
  store: Store;
  /** A second store on the same database: another process, or another node. */
  other: Store;
  close(): Promise<void>;
}

async function openTwo(kind: Kind): Promise<Two> {
  if (kind === "sqlite") {
    const home = tempHome();
    const path = `${home.dir}/dash.db`;
    const store = SqliteStore.open(path);
    const other = SqliteStore.open(path);
    return {
      store,
      other,
      async close() {
        store.close();
        other.close();
        home.cleanup();
      },
    };
  }
  const url = await newPostgresDatabase();
  const store = await PostgresStore.open(url);
  const other = await PostgresStore.open(url);
  return {
    store,
    other,
    async close() {
      await store.end();
      await other.end();
    },
  };
}

for (const kind of ["sqlite", "postgres"] as Kind[]) {
  const missing = kind === "postgres" ? postgresMissing() : null;
  (missing && !process.env.CI ? describe.skip : describe)(`store fast paths: ${kind}`, () => {
    let two: Two;
    let lifecycle: Lifecycle;
    let otherLifecycle: Lifecycle;
    beforeAll(async () => {
      two = await openTwo(kind);
      lifecycle = new Lifecycle(two.store, new EventBus());
      otherLifecycle = new Lifecycle(two.other, new EventBus());
    });
    afterAll(() => two.close());

    test("createSwarm with start: active at version 2 in one transaction, events created → spawned → started", async () => {
      const seen: string[] = [];
      lifecycle.bus.subscribe((event) => seen.push(`${event.type}:${event.id}`));
      const { swarm, agents } = await lifecycle.createSwarm(
        { name: "one-tx", task: "t", initialAgents: 3 },
        { start: true },
      );
      expect(swarm).toMatchObject({ status: "active", version: 2, agentCount: 3 });
      expect(await two.other.getSwarm(swarm.id)).toMatchObject({ status: "active", version: 2 });
      const events = await two.store.listEvents({
        types: ["swarm.created", "agent.spawned", "swarm.started"],
      });
      const mine = events.filter((e) => e.source === swarm.id || agents.some((a) => a.id === e.source));
      expect(mine.map((e) => e.type)).toEqual([
        "swarm.created",
        "agent.spawned",
        "agent.spawned",
        "agent.spawned",
        "swarm.started",
      ]);
      expect(mine.at(-1)?.data).toMatchObject({ status: "active", previousStatus: "creating" });
      // Published once each, in the order they were committed.
      expect(seen.slice(-5)).toEqual(mine.map((e) => `${e.type}:${e.id}`));
    });

    test("listAgentVersions matches listAgents (filters, cursor, limit); getAgents reads by id", async () => {
      const { swarm, agents } = await lifecycle.createSwarm({ name: "v", task: "t", initialAgents: 4 });
      const first = agents[0]?.id as string;
      await lifecycle.moveSwarm(swarm.id, { to: "active" });
      await lifecycle.moveAgent(first, { to: "spawning" });
      for (const query of [
        { swarmId: swarm.id },
        { swarmId: swarm.id, status: "idle" as const },
        { swarmId: swarm.id, afterId: first, limit: 2 },
        { limit: 3 },
      ]) {
        const full = await two.store.listAgents(query);
        expect(await two.store.listAgentVersions(query)).toEqual(
          full.map((a) => ({ id: a.id, version: a.version })),
        );
      }
      const ids = [agents[2]?.id, "nope", first] as string[];
      const read = await two.store.getAgents(ids);
      expect(read.map((a) => a.id)).toEqual([first, agents[2]?.id as string].sort());
      expect(read[0]).toEqual((await two.store.getAgent(read[0]?.id as string)) as never);
      expect(await two.store.getAgents([])).toEqual([]);
    });

    test("agent pages: the mapped rows; a change here or on the other store is on the next page", async () => {
      const pages = new AgentPages();
      const { swarm, agents } = await lifecycle.createSwarm({ name: "p", task: "t", initialAgents: 3 });
      await lifecycle.moveSwarm(swarm.id, { to: "active" });
      const query = { swarmId: swarm.id, limit: 2 };
      const expected = async () => {
        const rows = await two.store.listAgents({ swarmId: swarm.id, limit: 3 });
        return { agents: rows.slice(0, 2).map(toAgentResponse), nextCursor: rows[1]?.id ?? null };
      };
      expect(JSON.parse(await text(pages.page(two.store, query)))).toEqual(await expected());
      expect(JSON.parse(await text(pages.page(two.store, query)))).toEqual(await expected());
      const first = agents[0]?.id as string;
      await lifecycle.moveAgent(first, { to: "spawning" });
      expect(JSON.parse(await text(pages.page(two.store, query))).agents[0]).toMatchObject({
        status: "spawning",
      });
      // Written by another process or node: its version moved, so the row is read again.
      await otherLifecycle.moveAgent(first, { to: "running" });
      expect(JSON.parse(await text(pages.page(two.store, query))).agents[0]).toMatchObject({
        status: "running",
        version: 3,
      });
      expect(JSON.parse(await text(pages.page(two.store, query)))).toEqual(await expected());
      // The last page: no cursor.
      const last = JSON.parse(await text(pages.page(two.store, { swarmId: swarm.id, limit: 3 })));
      expect(last.nextCursor).toBeNull();
      expect(last.agents).toHaveLength(3);
    });

    test("agent pages stay bounded: past the bound the oldest rows are dropped, pages still right", async () => {
      const pages = new AgentPages(2, 1);
      const { swarm } = await lifecycle.createSwarm({ name: "b", task: "t", initialAgents: 3 });
      const rows = await two.store.listAgents({ swarmId: swarm.id });
      const all = { agents: rows.map(toAgentResponse), nextCursor: null };
      expect(JSON.parse(await text(pages.page(two.store, { swarmId: swarm.id, limit: 10 })))).toEqual(all);
      expect(
        JSON.parse(await text(pages.page(two.store, { swarmId: swarm.id, limit: 1 }))).agents,
      ).toHaveLength(1);
      expect(JSON.parse(await text(pages.page(two.store, { swarmId: swarm.id, limit: 10 })))).toEqual(all);
    });

    test("listBudgets({ spent }): only budgets something was spent from, all others left out", async () => {
      const idle = await lifecycle.createSwarm({ name: "idle", task: "t", initialAgents: 1 });
      const { swarm, agents } = await lifecycle.createSwarm({ name: "spends", task: "t", initialAgents: 1 });
      await lifecycle.recordUsage(agents[0]?.id as string, {
        promptTokens: 1,
        completionTokens: 1,
        costUsd: 0.01,
      });
      const spent = (await two.store.listBudgets({ spent: true })).map((b) => b.entityId);
      expect(spent).toContain(swarm.id);
      expect(spent).not.toContain(idle.swarm.id);
      expect(
        (await two.store.listBudgets({ entityType: "swarm", spent: true })).every((b) => b.spentUnits > 0),
      ).toBe(true);
      expect((await two.store.listBudgets()).map((b) => b.entityId)).toContain(idle.swarm.id);
    });

    test("api keys: a revocation through the store applies at once; an unknown key is never cached", async () => {
      const { record } = await createApiKey(two.store, { name: "k", permissions: ["read"] });
      expect(await two.store.findApiKeyByHash(record.keyHash)).toMatchObject({ isActive: true });
      await two.store.updateApiKey(record.id, { isActive: false });
      expect(await two.store.findApiKeyByHash(record.keyHash)).toMatchObject({ isActive: false });
      const hash = `h-${newId()}`;
      expect(await two.store.findApiKeyByHash(hash)).toBeNull();
      await two.other.insertApiKey({ ...record, id: newId(), keyHash: hash, isActive: true });
      expect(await two.store.findApiKeyByHash(hash)).toMatchObject({ keyHash: hash });
    });
  });
}

describe("sqlite change mark", () => {
  test("moves with every write of this connection and every commit of another one", async () => {
    const home = tempHome();
    const path = `${home.dir}/dash.db`;
    const store = SqliteStore.open(path);
    const other = SqliteStore.open(path);
    try {
      const lifecycle = new Lifecycle(store, new EventBus());
      const marks = [store.changeMark()];
      expect(store.changeMark()).toBe(marks[0] as string);
      await lifecycle.createSwarm({ name: "m", task: "t", initialAgents: 1 });
      marks.push(store.changeMark());
      await createApiKey(other, { name: "elsewhere", permissions: ["read"] });
      marks.push(store.changeMark());
      expect(new Set(marks).size).toBe(3);
    } finally {
      store.close();
      other.close();
      home.cleanup();
    }
  });
});

describe("sqlite change mark across processes", () => {
  test("a commit by another process moves the mark by the next turn of the event loop", async () => {
    const home = tempHome();
    const path = `${home.dir}/dash.db`;
    const store = SqliteStore.open(path);
    try {
      const before = store.changeMark();
      // A real second process writing the same file (as `dash migrate` or a second server could).
      const child = Bun.spawnSync([
        process.execPath,
        "-e",
        `const { Database } = require("bun:sqlite"); const db = new Database(${JSON.stringify(path)});
         db.run("PRAGMA busy_timeout = 5000"); db.run("CREATE TABLE elsewhere (x)"); db.close();`,
      ]);
      expect(child.exitCode).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 1));
      const after = store.changeMark();
      expect(after).not.toBe(before);
      expect(store.changeMark()).toBe(after);
    } finally {
      store.close();
      home.cleanup();
    }
  });
});
