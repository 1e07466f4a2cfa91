import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { loadMigrations } from "../../src/storage/migrate.ts";
import { openMigrator } from "../../src/storage/migrator.ts";
import { openStore, storeLocation } from "../../src/storage/open.ts";
import { PostgresStore } from "../../src/storage/postgres.ts";
import {
  loadPostgresMigrations,
  migratePostgres,
  postgresMigrationStates,
  rollbackPostgres,
  verifyPostgresMigrations,
} from "../../src/storage/postgres-migrate.ts";
import { EMBEDDED_PG_MIGRATIONS } from "../../src/storage/postgres-migrations.ts";
import { ROOT } from "../helpers.ts";
import { newPostgresDatabase, postgresMissing } from "../pg-server.ts";

const ALL = EMBEDDED_PG_MIGRATIONS.map((_, i) => i + 1);

/** The PostgreSQL migrator on a real server: the same rules as migrate.ts (tests/integration/migrate.test.ts). */
test("every file in migrations/postgres/ is embedded, and matches the SQLite list version for version", () => {
  const files = readdirSync(join(ROOT, "migrations", "postgres"))
    .filter((f) => f.endsWith(".sql"))
    .sort();
  expect(EMBEDDED_PG_MIGRATIONS.map((m) => m.file)).toEqual(files);
  const names = (list: { version: number; name: string }[]) => list.map((m) => `${m.version} ${m.name}`);
  expect(names(loadPostgresMigrations())).toEqual(names(loadMigrations()));
});

const missing = postgresMissing();
if (missing && process.env.CI) {
  test("postgres migrations", () => {
    throw new Error(`the PostgreSQL migrations cannot be tested in CI: ${missing}`);
  });
}

(missing ? describe.skip : describe)("postgres migrations", () => {
  let url: string;
  let sql: SQL;
  const tables = async () =>
    (
      await sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`
    ).map((r: { name: string }) => r.name);
  beforeAll(async () => {
    url = await newPostgresDatabase();
    sql = new SQL(url, { bigint: true, max: 4 });
  });
  afterAll(() => sql.close());

  test("two migrators at once apply each migration exactly once", async () => {
    const second = new SQL(url, { bigint: true });
    const [a, b] = await Promise.all([migratePostgres(sql), migratePostgres(second)]);
    await second.close();
    const applied = [...(a ?? []), ...(b ?? [])].map((m) => m.version).sort((x, y) => x - y);
    expect(applied).toEqual(ALL);
    expect(await tables()).toEqual([
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
    const states = await postgresMigrationStates(sql);
    expect(states.every((s) => s.appliedAt !== null && s.intact)).toBe(true);
    expect(await migratePostgres(sql)).toEqual([]);
  });

  test("rollback undoes the newest first; up applies them again", async () => {
    expect((await rollbackPostgres(sql, 4)).map((m) => m.version)).toEqual(ALL.slice(4).reverse());
    expect(await tables()).not.toContain("approvals");
    const states = await postgresMigrationStates(sql);
    expect(states.map((s) => s.appliedAt !== null)).toEqual([...ALL.map((v) => v <= 4)]);
    expect(await rollbackPostgres(sql, 4)).toEqual([]);
    expect((await rollbackPostgres(sql, 0)).map((m) => m.version)).toEqual([4, 3, 2, 1]);
    expect(await tables()).toEqual(["_migrations"]);
    expect((await migratePostgres(sql)).map((m) => m.version)).toEqual(ALL);
  });

  test("a changed or unknown applied migration refuses to start, and checkIntegrity says so", async () => {
    const store = await PostgresStore.open(url);
    expect(await store.checkIntegrity()).toEqual([]);
    const [row] = await sql`SELECT checksum FROM _migrations WHERE version = 3`;
    await sql`UPDATE _migrations SET checksum = 'changed' WHERE version = 3`;
    await expect(verifyPostgresMigrations(sql)).rejects.toThrow(
      /003_agent_keys.sql was changed after it was applied/,
    );
    await expect(migratePostgres(sql)).rejects.toMatchObject({ code: "MIGRATION_ERROR" });
    await expect(PostgresStore.open(url)).rejects.toThrow(/refusing to start/);
    expect(await store.checkIntegrity()).toEqual([
      "migration 003_agent_keys.sql was changed after it was applied",
    ]);
    await sql`UPDATE _migrations SET checksum = ${row.checksum} WHERE version = 3`;

    await sql`INSERT INTO _migrations (version, name, applied_at, checksum) VALUES (99, 'future', 0, 'x')`;
    await expect(verifyPostgresMigrations(sql)).rejects.toThrow(
      /migration 99 \(future\) that this dash does not know/,
    );
    await sql`DELETE FROM _migrations WHERE version = 99`;

    await sql`DELETE FROM _migrations WHERE version = 7`;
    expect(await store.checkIntegrity()).toEqual(["migration 007_model_calls.sql is not applied"]);
    await store.end();
  });
});

describe.skipIf(postgresMissing() !== null)("the store and migrator a config names", () => {
  test("database.url: the PostgreSQL store and migrator; the password never shown", async () => {
    const url = await newPostgresDatabase();
    const home = mkdtempSync(join(tmpdir(), "dash-open-"));
    const config = { database: { url }, databasePath: join(home, "unused.db"), home };
    const migrator = openMigrator(config);
    expect((await migrator.up()).length).toBe(migrator.version);
    expect((await migrator.states()).every((s) => s.appliedAt !== null)).toBe(true);
    expect((await migrator.rollback(migrator.version - 1)).map((m) => m.version)).toEqual([migrator.version]);
    await migrator.close();
    const warnings: string[] = [];
    const { store, kind } = await openStore(config, (w) => warnings.push(w));
    expect(kind).toBe("postgres");
    expect(warnings).toEqual([]);
    await store.ping();
    (store as PostgresStore).close();
    expect(
      storeLocation({ database: { url: "postgres://dash:secret@db:5432/dash" }, databasePath: "x" }),
    ).toBe("postgres://dash:***@db:5432/dash");
    expect(storeLocation({ database: {}, databasePath: "/srv/dash.db" })).toBe("/srv/dash.db");
    rmSync(home, { recursive: true, force: true });
  });
});
