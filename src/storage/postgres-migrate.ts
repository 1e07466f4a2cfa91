import type { SQL } from "bun";
import { DashError } from "../domain/errors.ts";
import { loadMigrations, type Migration, type MigrationState } from "./migrate.ts";
import { LOCK_SPACE, MIGRATIONS_LOCK, type Pg, rows, transaction } from "./postgres-db.ts";
import { EMBEDDED_PG_MIGRATIONS } from "./postgres-migrations.ts";

/**
 * migrate.ts for PostgreSQL: the same files' format, the same `_migrations` table and checksum
 * rule (an applied migration whose file changed refuses to start), `up`, `status`, `rollback`.
 * Each step is one transaction (PostgreSQL rolls DDL back too) under an advisory lock, so two
 * nodes starting at once apply each migration exactly once: the second waits, then finds it done.
 */
export function loadPostgresMigrations(): Migration[] {
  return loadMigrations(EMBEDDED_PG_MIGRATIONS);
}

interface Applied {
  version: number;
  name: string;
  appliedAt: number;
  checksum: string;
}

/** Takes the migrations lock and makes sure the table exists: the start of every step. */
async function locked(tx: Pg): Promise<Map<number, Applied>> {
  await tx.unsafe("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_SPACE, MIGRATIONS_LOCK]);
  // CREATE … IF NOT EXISTS is not safe against a concurrent CREATE; under the lock it is.
  await tx.unsafe(`CREATE TABLE IF NOT EXISTS _migrations (
    id BIGSERIAL PRIMARY KEY,
    version BIGINT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    checksum TEXT NOT NULL
  )`);
  const found = await rows(tx, "SELECT version, name, applied_at, checksum FROM _migrations");
  return new Map(
    found.map((r) => [
      Number(r.version),
      {
        version: Number(r.version),
        name: String(r.name),
        appliedAt: Number(r.applied_at),
        checksum: String(r.checksum),
      },
    ]),
  );
}

/** The refusals of verifyMigrations (migrate.ts), for what `_migrations` holds. */
function verify(applied: Map<number, Applied>, migrations: Migration[]): void {
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied.values()) {
    const m = known.get(row.version);
    if (!m) {
      throw new DashError(
        "MIGRATION_ERROR",
        `database has migration ${row.version} (${row.name}) that this dash does not know: upgrade dash, or use the database it was made for`,
        { version: row.version },
      );
    }
    if (m.checksum !== row.checksum) {
      throw new DashError(
        "MIGRATION_ERROR",
        `migration postgres/${m.file} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… now): refusing to start. Restore the original file, or roll back to a version before it first.`,
        { version: m.version, file: m.file },
      );
    }
  }
}

export async function postgresMigrationStates(
  sql: SQL,
  migrations = loadPostgresMigrations(),
): Promise<MigrationState[]> {
  const applied = await transaction(sql, locked);
  return migrations.map((m) => {
    const row = applied.get(m.version);
    return { ...m, appliedAt: row?.appliedAt ?? null, intact: !row || row.checksum === m.checksum };
  });
}

export async function verifyPostgresMigrations(
  sql: SQL,
  migrations = loadPostgresMigrations(),
): Promise<void> {
  verify(await transaction(sql, locked), migrations);
}

/** Applies every pending migration, each in its own transaction. Returns those applied. */
export async function migratePostgres(
  sql: SQL,
  migrations = loadPostgresMigrations(),
  now = Date.now,
): Promise<Migration[]> {
  await verifyPostgresMigrations(sql, migrations);
  const done: Migration[] = [];
  for (const m of migrations) {
    const ran = await transaction(sql, async (tx) => {
      // Read again under the lock: another node may have applied it meanwhile.
      if ((await locked(tx)).has(m.version)) return false;
      await tx.unsafe(m.up);
      await tx.unsafe(
        "INSERT INTO _migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)",
        [m.version, m.name, now(), m.checksum],
      );
      return true;
    });
    if (ran) done.push(m);
  }
  return done;
}

/** Undoes, newest first, every applied migration with a version above `target`. */
export async function rollbackPostgres(
  sql: SQL,
  target: number,
  migrations = loadPostgresMigrations(),
): Promise<Migration[]> {
  await verifyPostgresMigrations(sql, migrations);
  const undone: Migration[] = [];
  for (const m of [...migrations].reverse()) {
    if (m.version <= target) break;
    const ran = await transaction(sql, async (tx) => {
      if (!(await locked(tx)).has(m.version)) return false;
      await tx.unsafe(m.down);
      await tx.unsafe("DELETE FROM _migrations WHERE version = $1", [m.version]);
      return true;
    });
    if (ran) undone.push(m);
  }
  return undone;
}
