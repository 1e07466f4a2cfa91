import type { SQL } from "bun";
import { ConcurrencyConflictError } from "../domain/errors.ts";
import type { EventRecord, NewEvent } from "../domain/event.ts";
import { nextEventId } from "../domain/ids.ts";
import type { Row } from "./sqlite-rows.ts";

/**
 * The PostgreSQL side of sqlite-db.ts: queries that hand back rows the SQLite row converters
 * understand, one-transaction writes, the version-guarded UPDATE and the event insert that gives
 * each event its place in commit order.
 */

/** A pool or a transaction: both run queries (Bun's TransactionSQL is an SQL). */
export type Pg = SQL;

type Result = Record<string, unknown>[] & { count: number };
type Param = string | number | null;

/** The client is opened with `bigint: true`: BIGINT arrives as BigInt, and becomes a JS number here. */
export function normalize(raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(raw)) {
    row[key] = typeof value === "bigint" ? Number(value) : (value as string | number | null);
  }
  return row;
}

export async function rows(pg: Pg, text: string, params: Param[] = []): Promise<Row[]> {
  const result: Result = await pg.unsafe(text, params);
  return result.map(normalize);
}

export async function row(pg: Pg, text: string, params: Param[] = []): Promise<Row | null> {
  return (await rows(pg, text, params))[0] ?? null;
}

/** Rows an INSERT, UPDATE or DELETE touched. */
export async function run(pg: Pg, text: string, params: Param[] = []): Promise<number> {
  const result: Result = await pg.unsafe(text, params);
  return result.count;
}

/** `$1, $2, …` from `from`: the placeholders of a list of values. */
export const placeholders = (n: number, from = 1): string =>
  Array.from({ length: n }, (_, i) => `$${from + i}`).join(", ");

// Deadlock and serialization failures: PostgreSQL aborted the transaction, and running it again is
// the documented remedy. `decide` is pure, so a rerun is safe (as retryBusy is for SQLite).
const RETRYABLE = new Set(["40P01", "40001"]);
const RETRIES = 6;

/**
 * A unique violation (SQLSTATE 23505), worded as SQLite words it: the write path recognises a row
 * made meanwhile by another writer by "UNIQUE" in the message (core/lifecycle.ts allocateBudget).
 */
export class UniqueViolationError extends Error {
  override readonly name = "UniqueViolationError";

  constructor(cause: Error & { constraint?: string }) {
    super(`UNIQUE constraint failed: ${cause.constraint ?? "?"} (${cause.message})`, { cause });
  }
}

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { errno?: unknown } | null)?.errno;
  return typeof code === "string" ? code : undefined;
};

/** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on a throw), again on a deadlock. */
export async function transaction<T>(sql: SQL, fn: (tx: Pg) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await sql.begin((tx) => fn(tx))) as T;
    } catch (error) {
      const code = sqlState(error);
      if (code === "23505") throw new UniqueViolationError(error as Error);
      if (!code || !RETRYABLE.has(code) || attempt >= RETRIES) throw error;
      await Bun.sleep(2 * 2 ** attempt);
    }
  }
}

// pg_advisory_xact_lock(key1, key2): "dash" in ASCII, then what the lock guards.
export const LOCK_SPACE = 0x64617368;
export const EVENTS_LOCK = 1;
export const MIGRATIONS_LOCK = 2;

/**
 * Inserts events in commit order, as the last step of the writing transaction. The advisory lock
 * is held until COMMIT, so the writer that takes seq n+1 starts reading only after the one with
 * seq n has committed: seq order is commit order on any number of nodes, and the next id is made
 * after the newest committed one (ULIDs stay monotonic too, whatever the nodes' clocks say).
 * Taking it last keeps it short, and no row lock is ever awaited while holding it (no deadlock).
 */
export async function insertEvents(tx: Pg, events: NewEvent[], now: number): Promise<EventRecord[]> {
  if (events.length === 0) return [];
  await tx.unsafe("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_SPACE, EVENTS_LOCK]);
  // A new statement, so its snapshot is taken after the lock: it sees the previous holder's commit.
  // setval(nextval + n - 1) reserves n consecutive numbers in one round trip.
  const head = (await row(
    tx,
    `SELECT (SELECT id FROM events ORDER BY seq DESC LIMIT 1) AS last_id,
       setval('events_seq', nextval('events_seq') + $1 - 1) - $1 + 1 AS first`,
    [events.length],
  )) as Row;
  let last = head.last_id === null ? null : String(head.last_id);
  const first = Number(head.first);
  const values: Param[] = [];
  const committed = events.map((event, i) => {
    const id = nextEventId(last, now);
    last = id;
    values.push(id, first + i, now, event.type, event.source, JSON.stringify(event.data));
    return { ...event, id, timestamp: now };
  });
  const tuples = events.map((_, i) => `(${placeholders(6, i * 6 + 1)})`).join(", ");
  await tx.unsafe(`INSERT INTO events (id, seq, timestamp, type, source, data) VALUES ${tuples}`, values);
  // Delivered at COMMIT to every node listening (see EVENTS_CHANNEL): a wake-up only, the table
  // is the truth, so a notification lost on the way loses no event (each node also polls).
  await tx.unsafe("SELECT pg_notify($1, '')", [EVENTS_CHANNEL]);
  return committed;
}

/** The channel on which nodes are told that events were committed. */
export const EVENTS_CHANNEL = "dash_events";

type Columns = Record<string, [string, ((v: unknown) => unknown)?]>;

/**
 * `UPDATE table SET <patched columns>, updated_at, version = version + 1 WHERE id AND version`,
 * returning the row as it is now. The callers read `current` under a row lock, so the guard fails
 * only for a record read outside this transaction: that is the optimistic lock, a conflict.
 */
export async function updateRow(
  tx: Pg,
  table: string,
  columns: Columns,
  current: { id: string; version: number },
  patch: object,
  now: number,
): Promise<Row> {
  const sets: string[] = [];
  const values: Param[] = [];
  for (const [field, value] of Object.entries(patch)) {
    const column = columns[field];
    if (!column || value === undefined) continue;
    const [name, convert] = column;
    values.push((convert ? convert(value) : value) as Param);
    sets.push(`${name} = $${values.length}`);
  }
  const n = values.length;
  const text = `UPDATE ${table} SET ${[...sets, `updated_at = $${n + 1}`, "version = version + 1"].join(", ")}
    WHERE id = $${n + 2} AND version = $${n + 3} RETURNING *`;
  const updated = await row(tx, text, [...values, now, current.id, current.version]);
  if (updated) return updated;
  const found = await row(tx, `SELECT version FROM ${table} WHERE id = $1`, [current.id]);
  throw new ConcurrencyConflictError(table, current.id, current.version, Number(found?.version ?? -1));
}

// PostgreSQL takes at most 65,535 parameters in one statement.
const MAX_PARAMS = 60_000;

/** `INSERT INTO table (<columns>) VALUES (…), (…)`: rows with the same columns, in few round trips. */
export async function insertRows(tx: Pg, table: string, list: Row[]): Promise<void> {
  const first = list[0];
  if (!first) return;
  const columns = Object.keys(first);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  for (let start = 0; start < list.length; start += perStatement) {
    const chunk = list.slice(start, start + perStatement);
    const tuples = chunk.map((_, i) => `(${placeholders(columns.length, i * columns.length + 1)})`);
    const values = chunk.flatMap((r) => columns.map((c) => r[c] ?? null));
    await tx.unsafe(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, values);
  }
}

export async function insertRow(tx: Pg, table: string, one: Row): Promise<void> {
  await insertRows(tx, table, [one]);
}
