import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "../../src/bus/bus.ts";
import { main } from "../../src/cli/index.ts";
import { runCli } from "../../src/cli/run.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import { HealthSchema } from "../../src/domain/wire.ts";
import { copyToPostgres } from "../../src/storage/copy-to-postgres.ts";
import { PostgresStore } from "../../src/storage/postgres.ts";
import { EMBEDDED_PG_MIGRATIONS } from "../../src/storage/postgres-migrations.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import { openDatabase } from "../../src/storage/sqlite-db.ts";
import { captureConsole, ROOT } from "../helpers.ts";
import { newPostgresDatabase, postgresMissing } from "../pg-server.ts";
import { serveNode } from "../serve-node.ts";

const ALL = EMBEDDED_PG_MIGRATIONS.map((_, i) => i + 1);

/**
 * `dash migrate` and `dash serve` on PostgreSQL (issue 26): DASH_DATABASE_URL is the one setting.
 * Real processes from source against the test process's real PostgreSQL server: the migrations
 * apply and show, the server says which store it is, and a swarm's agents run to completion.
 */

const missing = postgresMissing();
const MAIN = join(ROOT, "src", "main.ts");
const home = mkdtempSync(join(tmpdir(), "dash-pg-serve-"));
let url = "";

beforeAll(async () => {
  if (missing && process.env.CI) throw new Error(missing);
  if (!missing) url = await newPostgresDatabase();
}, 60_000);
afterAll(() => rmSync(home, { recursive: true, force: true }));

const env = () => ({ PATH: process.env.PATH ?? "", DASH_HOME: home, DASH_DATABASE_URL: url, NO_COLOR: "1" });
const dash = (args: string[]) => {
  const run = Bun.spawnSync([process.execPath, MAIN, ...args], {
    env: env(),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() };
};

/** `dash serve` from source on the database, its stderr drained for its whole life. */
async function startNode(dashHome: string, extra: Record<string, string> = {}) {
  // extra may name another database (DASH_DATABASE_URL) for a test of its own.
  return serveNode([process.execPath, MAIN], { ...env(), DASH_HOME: dashHome, ...extra });
}

test.skipIf(missing !== null && !process.env.CI)(
  "dash migrate applies, shows and rolls back on PostgreSQL",
  () => {
    const up = dash(["migrate", "--json"]);
    expect(up.code, up.err).toBe(0);
    expect(JSON.parse(up.out)).toEqual({ applied: ALL, version: ALL.length });
    const status = JSON.parse(dash(["migrate", "--status", "--json"]).out) as {
      database: string;
      migrations: { applied: boolean; intact: boolean }[];
    };
    expect(status.database).toStartWith("postgres://");
    expect(status.database).not.toContain(":dash@"); // no password shown, if there is one
    expect(status.migrations.every((m) => m.applied && m.intact)).toBe(true);
    const target = ALL.length - 2;
    expect(JSON.parse(dash(["migrate", "--rollback", String(target), "--json"]).out)).toEqual({
      rolledBack: ALL.slice(target).reverse(),
      target,
    });
    expect(JSON.parse(dash(["migrate", "--json"]).out)).toEqual({
      applied: ALL.slice(target),
      version: ALL.length,
    });
  },
);

test.skipIf(missing !== null && !process.env.CI)(
  "dash serve on PostgreSQL: /health says so, and a demo swarm's agents complete",
  async () => {
    const node = await startNode(home);
    const server = node.proc;
    try {
      const { serving, origin } = node;
      expect(serving.store).toBe("postgres");
      const health = HealthSchema.parse(await (await fetch(`${origin}/health`)).json());
      expect(health).toMatchObject({ status: "ok", database: "ok", store: "postgres" });
      const { key } = JSON.parse(readFileSync(join(home, "credentials"), "utf8")) as { key: string };
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
      const created = await fetch(`${origin}/api/swarm`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "pg", task: "t", initialAgents: 3, config: { runtime: "demo" } }),
      });
      expect(created.status).toBe(201);
      const swarm = (await created.json()) as { id: string };
      let statuses: string[] = [];
      for (const end = Date.now() + 40_000; Date.now() < end; await Bun.sleep(250)) {
        const page = (await (
          await fetch(`${origin}/api/agents?swarmId=${swarm.id}`, { headers })
        ).json()) as {
          agents: { status: string }[];
        };
        statuses = page.agents.map((a) => a.status);
        if (statuses.every((s) => s === "completed")) break;
      }
      expect(statuses).toEqual(["completed", "completed", "completed"]);
      const metrics = await (await fetch(`${origin}/metrics`, { headers })).text();
      expect(metrics).toContain('dash_agents{status="completed"} 3');
      // Which server answered: several nodes on one database are told apart by these labels.
      expect(metrics).toMatch(
        new RegExp(`dash_info\\{version="[^"]+",store="postgres",node="${node.node}"\\} 1`),
      );
      expect(metrics).toContain('dash_notifications{status="dead"} 0');
    } finally {
      server.kill("SIGTERM");
      await server.exited;
    }
  },
  60_000,
);

test.skipIf(missing !== null && !process.env.CI)(
  "two nodes on one database: a WebSocket on node B sees node A's events live, once each, in order",
  async () => {
    // A database of its own: node A's first start makes the admin key, node B finds keys there.
    const own = { DASH_DATABASE_URL: await newPostgresDatabase(), DASH_MAX_CONCURRENCY: "0" };
    const homeA = mkdtempSync(join(tmpdir(), "dash-pg-a-"));
    const nodeA = await startNode(homeA, own);
    const nodeB = await startNode(mkdtempSync(join(tmpdir(), "dash-pg-b-")), own);
    try {
      const { key } = JSON.parse(readFileSync(join(homeA, "credentials"), "utf8")) as { key: string };
      const ws = new WebSocket(`${nodeB.origin.replace("http", "ws")}/events?token=${key}`);
      const seen: { id: string; type: string; at: number }[] = [];
      ws.onmessage = (m) => {
        const body = JSON.parse(String(m.data)) as { id?: string; type?: string; op?: string };
        if (body.id && body.type) seen.push({ id: body.id, type: body.type, at: Date.now() });
      };
      await new Promise((resolve) => ws.addEventListener("open", resolve));
      await Bun.sleep(200); // its `ready`
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
      const sent = Date.now();
      const created = await fetch(`${nodeA.origin}/api/swarm`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "two-nodes", task: "t", initialAgents: 2, config: { runtime: "demo" } }),
      });
      expect(created.status).toBe(201);
      const swarm = (await created.json()) as { id: string };
      const scaled = await fetch(`${nodeB.origin}/api/swarm/${swarm.id}/scale`, {
        method: "POST",
        headers,
        body: JSON.stringify({ target: 4 }),
      });
      expect(scaled.status).toBe(200);
      const all = async () =>
        (
          (await (await fetch(`${nodeA.origin}/api/events?limit=1000`, { headers })).json()) as {
            events: { id: string }[];
          }
        ).events;
      const stored = await all();
      for (const end = Date.now() + 5000; seen.length < stored.length && Date.now() < end; )
        await Bun.sleep(20);
      ws.close();
      // Every event once, in the table's order, none missing, whichever node wrote it.
      expect(seen.map((e) => e.id)).toEqual(stored.map((e) => e.id));
      expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
      expect(seen.map((e) => e.type)).toContain("swarm.scaled");
      const lag = Math.max(...seen.map((e) => e.at)) - sent;
      expect(lag).toBeLessThan(5000);
    } finally {
      for (const node of [nodeA, nodeB]) {
        node.proc.kill("SIGTERM");
        await node.proc.exited;
      }
    }
  },
  60_000,
);

test.skipIf(missing !== null && !process.env.CI)(
  "dash migrate --copy-to: every row of a SQLite database, checked by counts and sums; a second copy is refused",
  async () => {
    const source = mkdtempSync(join(tmpdir(), "dash-copy-"));
    const store = SqliteStore.open(join(source, "dash.db"));
    const lifecycle = new Lifecycle(store, new EventBus());
    const { agents } = await lifecycle.createSwarm({ name: "copied", task: "t", initialAgents: 3 });
    for (const agent of agents) {
      await lifecycle.startAgent(agent.id, { to: "spawning" });
      await lifecycle.moveAgent(agent.id, { to: "running" });
      await lifecycle.recordUsage(agent.id, { promptTokens: 10, completionTokens: 5, costUsd: 0.0123 });
    }
    await lifecycle.allocateBudget({ project: "acme" }, 7);
    const before = {
      agents: await store.listAgents({}),
      events: await store.listEvents({}),
      budgets: await store.listBudgets({}),
    };
    store.close();
    const target = await newPostgresDatabase();
    const copy = (args: string[]) =>
      Bun.spawnSync([process.execPath, MAIN, "migrate", ...args], {
        env: { PATH: process.env.PATH ?? "", DASH_HOME: source, NO_COLOR: "1" },
        stdout: "pipe",
        stderr: "pipe",
      });
    // In this process (what the CLI calls), then the CLI itself on the same target: refused.
    const db = openDatabase(join(source, "dash.db"));
    const report = await copyToPostgres(db, target);
    db.close();
    expect(report.rows).toMatchObject({ swarms: 1, agents: 3, events: before.events.length });
    expect(report.sums["agents.cost_micros"]).toBe(3 * 12_300);
    const pg = await PostgresStore.open(target);
    try {
      expect(await pg.listAgents({})).toEqual(before.agents);
      expect(await pg.listEvents({})).toEqual(before.events);
      expect(await pg.listBudgets({})).toEqual(before.budgets);
    } finally {
      await pg.end();
    }
    const again = copy(["--copy-to", target]);
    expect(copy(["--copy-to", "mysql://nope"]).stderr.toString()).toContain(
      "--copy-to needs a postgres:// URL",
    );
    expect(again.exitCode).toBe(2);
    expect(again.stderr.toString()).toContain("the target database is not empty: swarms has 1 rows");
    rmSync(source, { recursive: true, force: true });
  },
  60_000,
);

test.skipIf(missing !== null && !process.env.CI)(
  "dash migrate --copy-to in this process: what it prints for people",
  async () => {
    const source = mkdtempSync(join(tmpdir(), "dash-copy-cli-"));
    const store = SqliteStore.open(join(source, "dash.db"));
    await new Lifecycle(store, new EventBus()).createSwarm({ name: "one", task: "t", initialAgents: 2 });
    store.close();
    const out: string[] = [];
    const err: string[] = [];
    const spies = captureConsole(
      () => out,
      () => err,
    );
    const saved = process.env.DASH_HOME;
    process.env.DASH_HOME = source;
    try {
      const target = await newPostgresDatabase();
      expect(await runCli(main, ["migrate", "--copy-to", target], "test")).toBe(0);
      expect(out.join("\n")).toContain("agents: 2 rows");
      expect(out.join("\n")).toContain("sums equal: budgets.amount_spent 0");
      expect(out.join("\n")).toContain("Copied. Point every node at it: DASH_DATABASE_URL=");
      expect(await runCli(main, ["migrate", "--copy-to", "sqlite://x"], "test")).toBe(2);
      expect(err.join("")).toContain("--copy-to needs a postgres:// URL");
    } finally {
      process.env.DASH_HOME = saved;
      for (const spy of spies) spy.mockRestore();
      rmSync(source, { recursive: true, force: true });
    }
  },
);
