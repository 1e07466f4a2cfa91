import { SQL } from "bun";
import type { Config } from "../config.ts";
import {
  loadMigrations,
  type Migration,
  type MigrationState,
  migrateUp,
  migrationStates,
  rollbackTo,
} from "./migrate.ts";
import { storeLocation } from "./open.ts";
import {
  loadPostgresMigrations,
  migratePostgres,
  postgresMigrationStates,
  rollbackPostgres,
} from "./postgres-migrate.ts";
import { openDatabase } from "./sqlite-db.ts";

/**
 * `dash migrate` on either store: the same versions, checksums and rollback, each dialect its
 * own SQL (migrations/ for SQLite, migrations/postgres/ for PostgreSQL).
 */
export interface Migrator {
  /** Where the database is (a file, or a URL without its password). */
  where: string;
  /** The newest version the files know. */
  version: number;
  states(): Promise<MigrationState[]>;
  up(): Promise<Migration[]>;
  rollback(target: number): Promise<Migration[]>;
  close(): Promise<void>;
}

export function openMigrator(config: Pick<Config, "database" | "databasePath">): Migrator {
  const where = storeLocation(config);
  const url = config.database.url;
  if (url) {
    const sql = new SQL(url);
    const migrations = loadPostgresMigrations();
    return {
      where,
      version: migrations.at(-1)?.version ?? 0,
      states: () => postgresMigrationStates(sql, migrations),
      up: () => migratePostgres(sql, migrations),
      rollback: (target) => rollbackPostgres(sql, target, migrations),
      close: () => sql.close(),
    };
  }
  const db = openDatabase(config.databasePath);
  const migrations = loadMigrations();
  return {
    where,
    version: migrations.at(-1)?.version ?? 0,
    states: async () => migrationStates(db, migrations),
    up: async () => migrateUp(db, migrations),
    rollback: async (target) => rollbackTo(db, target, migrations),
    close: async () => db.close(),
  };
}
