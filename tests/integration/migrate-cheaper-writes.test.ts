import type { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { loadMigrations, migrateUp, rollbackTo } from "../../src/storage/migrate.ts";
import { openDatabase } from "../../src/storage/sqlite-db.ts";
import { tempHome } from "../helpers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function databaseAt(version: number): Database {
  const home = tempHome();
  const db = openDatabase(join(home.dir, "dash.db"));
  cleanups.push(() => {
    db.close();
    home.cleanup();
  });
  migrateUp(
    db,
    loadMigrations().filter((m) => m.version <= version),
  );
  return db;
}

const REBUILT = ["swarms", "agents", "budgets", "approvals", "model_calls"];

/** Rows of every rebuilt table, and the references between them. */
function seed(db: Database): void {
  db.run(`INSERT INTO swarms (id, name, task, strategy, status, created_at, updated_at, plan)
    VALUES ('s1', 'one', 't', 'tree', 'active', 1, 2, '{"inputs":["a"]}')`);
  const agent = db.query(`INSERT INTO agents (id, name, status, swarm_id, parent_id, task, model, created_at,
    updated_at, role, sandbox, metering) VALUES (?, ?, ?, 's1', ?, 't', 'm', 1, 2, ?, 'bwrap', 'gateway')`);
  agent.run("a1", "root", "running", null, "root");
  agent.run("a2", "child", "paused", "a1", "child");
  db.run(`INSERT INTO budgets (id, entity_type, entity_id, amount_allocated, amount_spent, created_at, updated_at)
    VALUES ('b0', 'project', 'p', 100, 5, 1, 1)`);
  db.run(`INSERT INTO budgets (id, entity_type, entity_id, parent_budget_id, amount_allocated, created_at,
    updated_at, warning_action, projected_action, forecast) VALUES ('b1', 'swarm', 's1', 'b0', 50, 1, 1, 'pause', 'kill', '{"x":1}')`);
  db.run(`INSERT INTO approvals (id, kind, swarm_id, agent_id, title, created_at, updated_at, expires_at, on_timeout)
    VALUES ('p1', 'agent', 's1', 'a2', 'ok?', 1, 1, 9, 'kill')`);
  db.run(`INSERT INTO model_calls (id, agent_id, swarm_id, provider, api, model, stream, status, reserved_units,
    started_at) VALUES ('c1', 'a2', 's1', 'p', 'openai-responses', 'm', 1, 'open', 7, 1)`);
}

const snapshot = (db: Database) =>
  Object.fromEntries(REBUILT.map((t) => [t, db.query(`SELECT * FROM ${t} ORDER BY id`).all()]));
const columns = (db: Database) =>
  Object.fromEntries(REBUILT.map((t) => [t, db.query(`PRAGMA table_info(${t})`).all()]));
const indexes = (db: Database) =>
  db
    .query(
      `SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
       AND tbl_name IN (${REBUILT.map((t) => `'${t}'`).join(", ")}) ORDER BY name`,
    )
    .all() as { name: string; sql: string }[];
/** The temporary tables an INSERT into `table` builds (what each IN list of 3+ values costs). */
const temporaryTables = (db: Database, table: string) => {
  const cols = (db.query(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  // prepare + finalize: a cached EXPLAIN of an INSERT stays "in progress" and would block a COMMIT.
  const explain = db.prepare(
    `EXPLAIN INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
  );
  const plan = explain.all(...cols.map(() => null)) as { opcode: string }[];
  explain.finalize();
  return plan.filter((op) => op.opcode === "OpenEphemeral").length;
};

test("012 keeps every row, column and reference; its CHECKs refuse the same values without building a table per insert", () => {
  const db = databaseAt(11);
  seed(db);
  const before = { rows: snapshot(db), columns: columns(db), indexes: indexes(db) };
  const perInsert = () => Object.fromEntries(REBUILT.map((t) => [t, temporaryTables(db, t)]));
  expect(perInsert()).toEqual({ swarms: 2, agents: 4, budgets: 5, approvals: 3, model_calls: 2 });

  expect(migrateUp(db).map((m) => m.version)).toEqual([12]);
  expect(snapshot(db)).toEqual(before.rows);
  expect(columns(db)).toEqual(before.columns);
  // Dropping the old tables cascaded nothing (foreign keys were off), and every reference holds.
  expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);
  expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
  expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  // The one left is the live-agent partial index's WHERE (its queries ask for that very IN list).
  expect(perInsert()).toEqual({ swarms: 0, agents: 1, budgets: 0, approvals: 0, model_calls: 0 });
  // The same indexes; the parent ones now only for rows that have a parent.
  const after = indexes(db);
  expect(after.map((i) => i.name)).toEqual(before.indexes.map((i) => i.name));
  expect(after.find((i) => i.name === "idx_agent_parent")?.sql).toEndWith("WHERE parent_id IS NOT NULL");
  expect(after.find((i) => i.name === "idx_budget_parent")?.sql).toEndWith(
    "WHERE parent_budget_id IS NOT NULL",
  );
  for (const [query, index] of [
    ["SELECT id FROM agents WHERE parent_id = 'a1'", "idx_agent_parent"],
    ["SELECT id FROM budgets WHERE parent_budget_id = 'b0'", "idx_budget_parent"],
  ] as const) {
    const plan = db.query(`EXPLAIN QUERY PLAN ${query}`).all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join()).toContain(index);
  }

  // What the IN lists refused is still refused; every value they allowed is still allowed.
  const status = (value: string) => db.query("UPDATE agents SET status = ? WHERE id = 'a1'").run(value);
  for (const ok of ["idle", "spawning", "running", "paused", "completed", "failed", "killed"]) status(ok);
  expect(() => status("exploded")).toThrow(/CHECK/);
  expect(() => db.run("UPDATE budgets SET hard_stop_action = 'explode' WHERE id = 'b1'")).toThrow(/CHECK/);
  expect(() => db.run("UPDATE swarms SET strategy = 'chaos' WHERE id = 's1'")).toThrow(/CHECK/);
  expect(() => db.run("UPDATE approvals SET on_timeout = 'ignore' WHERE id = 'p1'")).toThrow(/CHECK/);
  expect(() => db.run("UPDATE model_calls SET api = 'grpc' WHERE id = 'c1'")).toThrow(/CHECK/);
  expect(() => db.run("UPDATE agents SET sandbox = 'chroot' WHERE id = 'a2'")).toThrow(/CHECK/);
  db.run("UPDATE agents SET sandbox = NULL, role = 'reducer' WHERE id = 'a2'");
  // Foreign keys are back on: deleting the swarm cascades as before.
  db.run("DELETE FROM swarms WHERE id = 's1'");
  expect(db.query("SELECT COUNT(*) AS n FROM agents").get()).toEqual({ n: 0 });
  expect(db.query("SELECT COUNT(*) AS n FROM model_calls").get()).toEqual({ n: 0 });
});

test("012's rollback restores 011's tables, rows and indexes", () => {
  const db = databaseAt(11);
  seed(db);
  const before = { rows: snapshot(db), columns: columns(db), indexes: indexes(db) };
  migrateUp(db);
  expect(rollbackTo(db, 11).map((m) => m.version)).toEqual([12]);
  expect(snapshot(db)).toEqual(before.rows);
  expect(columns(db)).toEqual(before.columns);
  expect(indexes(db)).toEqual(before.indexes);
  expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);
  expect(temporaryTables(db, "budgets")).toBe(5);
});

test("a migration that would break a reference is not applied, and foreign keys stay on", () => {
  const db = databaseAt(12);
  seed(db);
  const all = loadMigrations();
  const orphaning = {
    ...(all.at(-1) as (typeof all)[number]),
    version: 13,
    name: "orphans",
    file: "013_orphans.sql",
    up: "DELETE FROM swarms WHERE id = 's1'",
    down: "",
  };
  // Two agents, the approval and the model call point at the swarm.
  expect(() => migrateUp(db, [...all, orphaning])).toThrow(
    /013_orphans.sql \(up\) would leave 4 references to missing rows \(the first: \w+ → swarms\): not applied/,
  );
  expect(db.query("SELECT COUNT(*) AS n FROM swarms").get()).toEqual({ n: 1 });
  expect(db.query("SELECT MAX(version) AS v FROM _migrations").get()).toEqual({ v: 12 });
  expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
});
