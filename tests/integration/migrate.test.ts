import type { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DashError } from "../../src/domain/errors.ts";
import {
  loadMigrations,
  migrateUp,
  migrationStates,
  parseMigration,
  rollbackTo,
  verifyMigrations,
} from "../../src/storage/migrate.ts";
import { EMBEDDED_MIGRATIONS } from "../../src/storage/migrations.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import { openDatabase } from "../../src/storage/sqlite-db.ts";
import { ROOT, tempHome } from "../helpers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function freshDb(): { db: Database; path: string } {
  const home = tempHome();
  const path = join(home.dir, "dash.db");
  const db = openDatabase(path);
  cleanups.push(() => {
    db.close();
    home.cleanup();
  });
  return { db, path };
}

const tables = (db: Database) =>
  (
    db
      .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as {
      name: string;
    }[]
  ).map((r) => r.name);

describe("migrations", () => {
  test("every file in migrations/ is embedded, in order, and parses", () => {
    const files = readdirSync(join(ROOT, "migrations"))
      .filter((f) => f.endsWith(".sql"))
      .sort();
    expect(EMBEDDED_MIGRATIONS.map((m) => m.file)).toEqual(files);
    expect(loadMigrations().map((m) => m.version)).toEqual(files.map((_, i) => i + 1));
  });

  test("fresh up, rollback, up again", () => {
    const { db } = freshDb();
    const all = EMBEDDED_MIGRATIONS.map((_, i) => i + 1);
    expect(migrateUp(db).map((m) => m.version)).toEqual(all);
    expect(tables(db)).toEqual([
      "_migrations",
      "agents",
      "api_keys",
      "approval_rules",
      "approvals",
      "budgets",
      "events",
      "model_calls",
      "nodes",
      "notification_sink_events",
      "notification_sinks",
      "notifications",
      "swarms",
    ]);
    expect(migrateUp(db)).toEqual([]);
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });

    expect(rollbackTo(db, 1).map((m) => m.version)).toEqual(all.slice(1).reverse());
    const columns = () =>
      (db.query("PRAGMA table_info(agents)").all() as { name: string }[]).map((c) => c.name);
    expect(columns()).not.toContain("log_offset");
    expect(rollbackTo(db, 0).map((m) => m.version)).toEqual([1]);
    expect(tables(db)).toEqual(["_migrations"]);
    expect(migrationStates(db)[0]?.appliedAt).toBeNull();

    expect(migrateUp(db).map((m) => m.version)).toEqual(all);
    expect(columns()).toContain("log_offset");
    const row = db.query("SELECT version, name, checksum FROM _migrations").get() as Record<string, unknown>;
    expect(row).toEqual({
      version: 1,
      name: "initial_schema",
      checksum: loadMigrations()[0]?.checksum as string,
    });
  });

  test("006 keeps every approval row, allows the merge kind, and its rollback drops only merge rows", () => {
    const { db } = freshDb();
    migrateUp(
      db,
      loadMigrations().filter((m) => m.version <= 5),
    );
    const insert = (id: string, kind: string) =>
      db.run(
        "INSERT INTO approvals (id, kind, title, created_at, updated_at, expires_at) VALUES (?, ?, 't', 1, 1, 2)",
        [id, kind],
      );
    insert("a1", "agent");
    insert("b1", "budget");
    expect(() => insert("m0", "merge")).toThrow(/CHECK/);
    expect(
      migrateUp(
        db,
        loadMigrations().filter((m) => m.version <= 6),
      ).map((m) => m.version),
    ).toEqual([6]);
    insert("m1", "merge");
    const kinds = () =>
      (db.query("SELECT kind FROM approvals ORDER BY id").all() as { kind: string }[]).map((r) => r.kind);
    expect(kinds()).toEqual(["agent", "budget", "merge"]);
    const indexes = db
      .query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'approvals' AND name LIKE 'idx_%' ORDER BY name",
      )
      .all();
    expect(indexes).toHaveLength(3);
    expect(rollbackTo(db, 5).map((m) => m.version)).toEqual([6]);
    expect(kinds()).toEqual(["agent", "budget"]);
    expect(() => insert("m2", "merge")).toThrow(/CHECK/);
  });

  test("007 adds model calls and the agents' metering; its rollback removes both and keeps agents", () => {
    const { db } = freshDb();
    migrateUp(
      db,
      loadMigrations().filter((m) => m.version <= 6),
    );
    expect(
      migrateUp(
        db,
        loadMigrations().filter((m) => m.version <= 7),
      ).map((m) => m.version),
    ).toEqual([7]);
    const columns = () =>
      (db.query("PRAGMA table_info(agents)").all() as { name: string }[]).map((c) => c.name);
    expect(columns()).toContain("metering");
    // An open call must hold something only while open; a closed one holds nothing.
    db.run(
      "INSERT INTO swarms (id, name, task, strategy, status, created_at, updated_at) VALUES ('s', 's', 't', 'parallel', 'active', 1, 1)",
    );
    db.run(
      "INSERT INTO agents (id, name, status, swarm_id, task, model, created_at, updated_at) VALUES ('a', 'a', 'running', 's', 't', 'm', 1, 1)",
    );
    const call = (id: string, status: string, reserved: number, ended: number | null) =>
      db.run(
        "INSERT INTO model_calls (id, agent_id, swarm_id, provider, api, model, stream, status, reserved_units, started_at, ended_at) VALUES (?, 'a', 's', 'p', 'openai-chat', 'm', 0, ?, ?, 1, ?)",
        [id, status, reserved, ended],
      );
    call("c1", "open", 10, null);
    expect(() => call("c2", "settled", 10, 2)).toThrow(/CHECK/);
    expect(() => call("c3", "open", 10, 2)).toThrow(/CHECK/);
    expect(rollbackTo(db, 6).map((m) => m.version)).toEqual([7]);
    expect(columns()).not.toContain("metering");
    expect(tables(db)).not.toContain("model_calls");
    expect(db.query("SELECT COUNT(*) AS n FROM agents").get()).toEqual({ n: 1 });
  });

  test("tables are STRICT and the partial active-agent index exists", () => {
    const { db } = freshDb();
    migrateUp(db);
    const sql = (db.query("SELECT sql FROM sqlite_master WHERE name = 'agents'").get() as { sql: string })
      .sql;
    expect(sql).toEndWith("STRICT");
    const index = db.query("SELECT sql FROM sqlite_master WHERE name = 'idx_agent_active'").get() as {
      sql: string;
    };
    expect(index.sql).toContain("WHERE status IN");
    expect(() =>
      db.run(
        "INSERT INTO events (id, timestamp, type, source, data) VALUES ('x', 'not a number', 't', 's', '{}')",
      ),
    ).toThrow();
  });

  test("a migration changed after it was applied stops startup with a clear message", () => {
    const { db, path } = freshDb();
    migrateUp(db);
    const original = EMBEDDED_MIGRATIONS[0] as { file: string; text: string };
    const tampered = [parseMigration(original.file, `${original.text}\n-- a harmless-looking edit\n`)];
    expect(() => verifyMigrations(db, tampered)).toThrow(
      /001_initial_schema\.sql was changed after it was applied/,
    );
    expect(() => migrateUp(db, tampered)).toThrow(DashError);

    // The same seen from startup: the checksum recorded in the database no longer matches.
    db.run("UPDATE _migrations SET checksum = 'deadbeef' WHERE version = 1");
    expect(() => SqliteStore.open(path)).toThrow(/changed after it was applied.*refusing to start/);
  });

  test("a database migrated by a newer dash is refused", () => {
    const { db } = freshDb();
    migrateUp(db);
    db.run(
      "INSERT INTO _migrations (version, name, applied_at, checksum) VALUES (99, 'from_the_future', 0, 'x')",
    );
    expect(() => verifyMigrations(db)).toThrow(
      /migration 99 \(from_the_future\) that this dash does not know/,
    );
  });

  test("badly named or sectioned migration files are refused", () => {
    expect(() => parseMigration("1_x.sql", "-- migrate:up\n-- migrate:down\n")).toThrow(/NNN_name\.sql/);
    expect(() => parseMigration("002_x.sql", "CREATE TABLE t (a);")).toThrow(/migrate:up/);
  });

  test("a failing migration rolls back whole and is not recorded", () => {
    const { db } = freshDb();
    const good = loadMigrations();
    const bad = parseMigration(
      `00${good.length + 1}_broken.sql`,
      "-- migrate:up\nCREATE TABLE ok_then (a INTEGER);\nNOT SQL;\n-- migrate:down\n",
    );
    expect(() => migrateUp(db, [...good, bad])).toThrow();
    expect(tables(db)).not.toContain("ok_then");
    expect(migrationStates(db, [...good, bad]).map((s) => s.appliedAt !== null)).toEqual([
      ...good.map(() => true),
      false,
    ]);
  });
});
