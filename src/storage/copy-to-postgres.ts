import type { Database, SQLQueryBindings } from "bun:sqlite";
import { SQL } from "bun";
import { DashError } from "../domain/errors.ts";
import { migratePostgres } from "./postgres-migrate.ts";

/**
 * `dash migrate --copy-to postgres://…`: every row of a SQLite database into an empty, migrated
 * PostgreSQL one, in one transaction, then checked: the same count in every table and the same
 * money (budgets spent and allocated, agents' and calls' costs). Both must be at the same schema
 * version (the source is migrated first). Tables go parents first, rows in id order (an agent's
 * parent and a budget's parent are older than they are).
 */
const TABLES = [
  "swarms",
  "budgets",
  "agents",
  "approvals",
  "model_calls",
  "api_keys",
  "nodes",
  "events",
] as const;
const SUMS = [
  ["budgets", "amount_spent"],
  ["budgets", "amount_allocated"],
  ["agents", "cost_micros"],
  ["model_calls", "cost_micros"],
] as const;
const BATCH = 500;

export interface CopyReport {
  rows: Record<string, number>;
  sums: Record<string, number>;
}

export async function copyToPostgres(db: Database, url: string): Promise<CopyReport> {
  const sql = new SQL(url);
  try {
    await migratePostgres(sql);
    for (const table of TABLES) {
      const [found] = await sql.unsafe(`SELECT COUNT(*)::int AS n FROM ${table}`);
      if (Number(found?.n) > 0) {
        throw new DashError(
          "VALIDATION_ERROR",
          `the target database is not empty: ${table} has ${found?.n} rows`,
        );
      }
    }
    await sql.begin(async (tx) => {
      for (const table of TABLES) {
        const rows = db
          .query<Record<string, SQLQueryBindings>, []>(`SELECT * FROM ${table} ORDER BY id`)
          .all();
        // Events are numbered in commit order on PostgreSQL; on SQLite that is id order.
        const withSeq = table === "events" ? rows.map((r, i) => ({ ...r, seq: i + 1 })) : rows;
        for (let i = 0; i < withSeq.length; i += BATCH)
          await insertBatch(tx, table, withSeq.slice(i, i + BATCH));
        if (table === "events" && rows.length > 0)
          await tx.unsafe("SELECT setval('events_seq', $1)", [rows.length]);
      }
    });
    return await verify(db, sql);
  } finally {
    await sql.close();
  }
}

async function insertBatch(tx: SQL, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const start = values.length;
    for (const column of columns) values.push(row[column] ?? null);
    return `(${columns.map((_, j) => `$${start + j + 1}`).join(", ")})`;
  });
  await tx.unsafe(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, values);
}

/** The same rows and the same money on both sides, or a DashError naming what differs. */
async function verify(db: Database, sql: SQL): Promise<CopyReport> {
  const report: CopyReport = { rows: {}, sums: {} };
  const differ: string[] = [];
  for (const table of TABLES) {
    const source = db.query<{ n: number }, []>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0;
    const [target] = await sql.unsafe(`SELECT COUNT(*)::bigint AS n FROM ${table}`);
    if (Number(target?.n) !== source) differ.push(`${table}: ${source} rows here, ${target?.n} there`);
    report.rows[table] = source;
  }
  for (const [table, column] of SUMS) {
    const source =
      db.query<{ s: number }, []>(`SELECT COALESCE(SUM(${column}), 0) AS s FROM ${table}`).get()?.s ?? 0;
    const [target] = await sql.unsafe(`SELECT COALESCE(SUM(${column}), 0)::bigint AS s FROM ${table}`);
    if (Number(target?.s) !== source) differ.push(`${table}.${column}: ${source} here, ${target?.s} there`);
    report.sums[`${table}.${column}`] = source;
  }
  if (differ.length > 0)
    throw new DashError("INTERNAL_ERROR", `the copy does not match: ${differ.join("; ")}`);
  return report;
}
