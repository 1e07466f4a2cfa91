import type { Database } from "bun:sqlite";
import { DashError } from "../domain/errors.ts";
import { EMBEDDED_MIGRATIONS } from "./migrations.ts";
import { immediate, retryBusy } from "./sqlite-db.ts";

/** One migration file: `NNN_name.sql` with a `-- migrate:up` and a `-- migrate:down` section. */
export interface Migration {
  version: number;
  name: string;
  file: string;
  up: string;
  down: string;
  checksum: string;
}

export interface MigrationState extends Migration {
  appliedAt: number | null;
  /** false when the applied migration's checksum differs from this file's. */
  intact: boolean;
}

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;
const UP = "-- migrate:up";
const DOWN = "-- migrate:down";

export function parseMigration(file: string, text: string): Migration {
  const match = FILE_NAME.exec(file);
  const upAt = text.indexOf(UP);
  const downAt = text.indexOf(DOWN);
  if (!match?.[1] || !match[2] || upAt < 0 || downAt < upAt) {
    throw new DashError(
      "MIGRATION_ERROR",
      `migration ${file} must be named NNN_name.sql and contain "${UP}" then "${DOWN}"`,
    );
  }
  return {
    version: Number(match[1]),
    name: match[2],
    file,
    up: text.slice(upAt + UP.length, downAt).trim(),
    down: text.slice(downAt + DOWN.length).trim(),
    checksum: new Bun.CryptoHasher("sha256").update(text).digest("hex"),
  };
}

export function loadMigrations(files = EMBEDDED_MIGRATIONS): Migration[] {
  return files.map((f) => parseMigration(f.file, f.text)).sort((a, b) => a.version - b.version);
}

interface AppliedRow {
  version: number;
  name: string;
  applied_at: number;
  checksum: string;
}

function ensureTable(db: Database): void {
  retryBusy(() =>
    db.run(`CREATE TABLE IF NOT EXISTS _migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    checksum TEXT NOT NULL
  )`),
  );
}

function applied(db: Database): Map<number, AppliedRow> {
  const rows = db.query<AppliedRow, []>("SELECT version, name, applied_at, checksum FROM _migrations").all();
  return new Map(rows.map((r) => [r.version, r]));
}

export function migrationStates(db: Database, migrations = loadMigrations()): MigrationState[] {
  ensureTable(db);
  const done = applied(db);
  return migrations.map((m) => {
    const row = done.get(m.version);
    return { ...m, appliedAt: row?.applied_at ?? null, intact: !row || row.checksum === m.checksum };
  });
}

/**
 * Refuses a database this build cannot trust: an applied migration whose file changed since, or
 * one this build does not know (the database was migrated by a newer Dash).
 */
export function verifyMigrations(db: Database, migrations = loadMigrations()): void {
  ensureTable(db);
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied(db).values()) {
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
        `migration ${m.file} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… now): refusing to start. Restore the original file, or roll back to a version before it first.`,
        { version: m.version, file: m.file },
      );
    }
  }
}

/**
 * Runs `fn` with foreign keys off, as SQLite's procedure for rebuilding a table asks (with them
 * on, dropping the old table would cascade its delete to the rows that point at it): the pragma
 * can only change outside a transaction. `assertForeignKeys` then checks, inside each
 * migration's transaction, that every reference still holds.
 */
function withoutForeignKeys<T>(db: Database, fn: () => T): T {
  const on = db.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()?.foreign_keys === 1;
  if (on) db.run("PRAGMA foreign_keys = OFF");
  try {
    return fn();
  } finally {
    if (on) db.run("PRAGMA foreign_keys = ON");
  }
}

function assertForeignKeys(db: Database, m: Migration, direction: string): void {
  const broken = db.query<{ table: string; parent: string }, []>("PRAGMA foreign_key_check").all();
  const first = broken[0];
  if (!first) return;
  throw new DashError(
    "MIGRATION_ERROR",
    `migration ${m.file} (${direction}) would leave ${broken.length} references to missing rows (the first: ${first.table} → ${first.parent}): not applied`,
    { version: m.version, file: m.file },
  );
}

/** Applies every pending migration, each in its own immediate transaction. Returns those applied. */
export function migrateUp(db: Database, migrations = loadMigrations(), now = Date.now): Migration[] {
  verifyMigrations(db, migrations);
  return withoutForeignKeys(db, () => applyPending(db, migrations, now));
}

function applyPending(db: Database, migrations: Migration[], now: () => number): Migration[] {
  const done: Migration[] = [];
  for (const m of migrations) {
    const ran = immediate(db, () => {
      // Re-read inside the lock: another process may have applied it meanwhile.
      if (applied(db).has(m.version)) return false;
      db.run(m.up);
      assertForeignKeys(db, m, "up");
      db.query("INSERT INTO _migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)").run(
        m.version,
        m.name,
        now(),
        m.checksum,
      );
      return true;
    });
    if (ran) done.push(m);
  }
  return done;
}

/** Undoes, newest first, every applied migration with a version above `target`. */
export function rollbackTo(db: Database, target: number, migrations = loadMigrations()): Migration[] {
  verifyMigrations(db, migrations);
  return withoutForeignKeys(db, () => undoAbove(db, target, migrations));
}

function undoAbove(db: Database, target: number, migrations: Migration[]): Migration[] {
  const undone: Migration[] = [];
  for (const m of [...migrations].reverse()) {
    if (m.version <= target) break;
    const ran = immediate(db, () => {
      if (!applied(db).has(m.version)) return false;
      db.run(m.down);
      assertForeignKeys(db, m, "down");
      db.query("DELETE FROM _migrations WHERE version = ?").run(m.version);
      return true;
    });
    if (ran) undone.push(m);
  }
  return undone;
}
