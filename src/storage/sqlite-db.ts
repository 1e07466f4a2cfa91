import { Database, type SQLQueryBindings, type Statement } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ConcurrencyConflictError } from "../domain/errors.ts";
import type { EventRecord, NewEvent } from "../domain/event.ts";
import { nextEventId } from "../domain/ids.ts";

/**
 * Opens a database file the way every Dash process must (DESIGN.md §1, §8): busy_timeout FIRST so
 * that even switching to WAL waits for a writer in another process instead of failing, then WAL,
 * synchronous NORMAL (durable at checkpoints, fast commits), temp_store MEMORY, and foreign keys.
 */
export function openDatabase(path: string, busyTimeoutMs = 5000): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  db.run(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  // Switching a new file to WAL needs an exclusive lock and SQLite does not always call the busy
  // handler for it (seen: two `dash migrate` on one new file), hence the explicit retry.
  retryBusy(() => db.run("PRAGMA journal_mode = WAL"));
  db.run("PRAGMA synchronous = NORMAL");
  // Savepoints and statement journals in memory, not in temp files: the group commit
  // (sqlite-group-commit.ts) isolates a failed write of a batch with a savepoint.
  db.run("PRAGMA temp_store = MEMORY");
  db.run("PRAGMA foreign_keys = ON");
  return db;
}

const BUSY_RETRIES = 8;

/** SQLite said another connection holds the lock (busy or locked). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/** Runs `fn` again, with backoff (10 ms … 1.3 s), while SQLite says the database is busy. */
export function retryBusy<T>(fn: () => T): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error) || attempt >= BUSY_RETRIES) throw error;
      Bun.sleepSync(10 * 2 ** attempt);
    }
  }
}

/**
 * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken before the first read, so a
 * read-then-write can never be invalidated by another process (deferred transactions lose ~43% to
 * SQLITE_BUSY under contention, DESIGN.md §8). busy_timeout already waits; the bounded retry is the
 * backstop for a lock held longer than that, and `fn` must therefore be free of side effects.
 */
export function immediate<T>(db: Database, fn: () => T): T {
  return retryBusy(() =>
    db
      .transaction(() => {
        lastEventIds.set(db, undefined);
        try {
          return fn();
        } finally {
          lastEventIds.delete(db);
        }
      })
      .immediate(),
  );
}

/**
 * The newest event id the running immediate transaction wrote, per connection: the writes of a
 * group commit share one transaction, and only the first needs to read it from the table (2.6 %
 * of a create). Nobody else can write while it holds the lock; an id a rolled-back savepoint gave
 * away stays behind (ids then skip it, still in order). Undefined: not known, read it.
 */
const lastEventIds = new Map<Database, string | null | undefined>();

/** Rows per multi-row INSERT: one statement's overhead for many rows, and few distinct statements. */
const ROWS_PER_INSERT = 16;

/** Inserts events with ids after the newest committed one; call inside an immediate transaction. */
export function insertEvents(db: Database, events: NewEvent[], now: number): EventRecord[] {
  if (events.length === 0) return [];
  let last = lastEventIds.get(db);
  if (last === undefined)
    last = db.query<{ id: string }, []>("SELECT id FROM events ORDER BY id DESC LIMIT 1").get()?.id ?? null;
  const committed = events.map((event) => {
    const id = nextEventId(last as string | null, now);
    last = id;
    return { ...event, id, timestamp: now };
  });
  if (lastEventIds.has(db)) lastEventIds.set(db, last);
  insertRows(
    db,
    "events",
    committed.map((e) => ({
      id: e.id,
      timestamp: now,
      type: e.type,
      source: e.source,
      data: JSON.stringify(e.data),
    })),
  );
  return committed;
}

type Columns = Record<string, [string, ((v: unknown) => unknown)?]>;

/**
 * `UPDATE table SET <patched columns>, updated_at, version = version + 1 WHERE id AND version`.
 * The version guard is what makes the lock optimistic; inside an immediate transaction it also
 * proves nobody slipped in between the read and the write.
 */
export function updateRow(
  db: Database,
  table: string,
  columns: Columns,
  current: { id: string; version: number },
  patch: object,
  now: number,
): void {
  const sets: string[] = [];
  const values: SQLQueryBindings[] = [];
  for (const [field, value] of Object.entries(patch)) {
    const column = columns[field];
    if (!column || value === undefined) continue;
    const [name, convert] = column;
    sets.push(`${name} = ?`);
    values.push((convert ? convert(value) : value) as SQLQueryBindings);
  }
  const sql = `UPDATE ${table} SET ${[...sets, "updated_at = ?", "version = version + 1"].join(", ")} WHERE id = ? AND version = ?`;
  const { changes } = db.query(sql).run(...values, now, current.id, current.version);
  if (changes !== 1) {
    const row = db
      .query<{ version: number }, [string]>(`SELECT version FROM ${table} WHERE id = ?`)
      .get(current.id);
    throw new ConcurrencyConflictError(table, current.id, current.version, row?.version ?? -1);
  }
}

/** `INSERT INTO table (<the row's columns>) VALUES (…)`; the statement is cached per column list. */
export function insertRow(db: Database, table: string, row: Record<string, SQLQueryBindings>): void {
  insertRows(db, table, [row]);
}

/**
 * The INSERT statements of one table and column list, by number of rows (1…ROWS_PER_INSERT), per
 * connection: the SQL of a 3-agent insert is ~700 characters, built and looked up by its text on
 * every create otherwise. A table has a few column lists at most, found by comparing the names
 * (the same interned strings each time), not by joining them into a key (3 % of a create's CPU).
 */
interface InsertStatements {
  columns: string[];
  byRows: Statement[];
}
const inserts = new WeakMap<Database, Map<string, InsertStatements[]>>();

function sameColumns(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function insertStatement(db: Database, table: string, columns: string[], rows: number): Statement {
  let byTable = inserts.get(db);
  if (!byTable) {
    byTable = new Map();
    inserts.set(db, byTable);
  }
  let lists = byTable.get(table);
  if (!lists) {
    lists = [];
    byTable.set(table, lists);
  }
  let entry = lists.find((known) => sameColumns(known.columns, columns));
  if (!entry) {
    entry = { columns, byRows: [] };
    lists.push(entry);
  }
  const known = entry.byRows[rows];
  if (known) return known;
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const values = Array.from({ length: rows }, () => tuple).join(", ");
  // query(), not prepare(): the connection finalizes its cached statements when it closes.
  const statement = db.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values}`);
  entry.byRows[rows] = statement;
  return statement;
}

/** Rows with the same columns, ROWS_PER_INSERT to a statement (`VALUES (…), (…)`), in order. */
export function insertRows(db: Database, table: string, rows: Record<string, SQLQueryBindings>[]): void {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) {
    const end = Math.min(rows.length, at + ROWS_PER_INSERT);
    const values: SQLQueryBindings[] = [];
    for (let i = at; i < end; i++) {
      const row = rows[i] as Record<string, SQLQueryBindings>;
      for (const column of columns) values.push(row[column] as SQLQueryBindings);
    }
    insertStatement(db, table, columns, end - at).run(...values);
  }
}
