/**
 * The worker thread of sqlite-checkpointer.ts: its own connection to the server's database file,
 * copying the WAL back into the file (a PASSIVE checkpoint: it never waits for, nor blocks, a
 * writer or a reader) every few milliseconds while there are commits. A checkpoint ends with an
 * fsync, which is what the main thread would otherwise wait for at every thousandth page it commits.
 */
import type { Database } from "bun:sqlite";
import type { CheckpointReport, CheckpointStart } from "./sqlite-checkpointer.ts";
import { isBusy, openDatabase } from "./sqlite-db.ts";

declare const self: Worker;

interface WalState {
  busy: number;
  log: number;
  checkpointed: number;
}

let db: Database | undefined;
let timer: Timer | undefined;
let delayMs = 0;
let last: WalState = { busy: 0, log: 0, checkpointed: 0 };

function report(message: CheckpointReport): void {
  postMessage(message);
}

/** One PASSIVE checkpoint; true when the WAL had changed since the last one (there was work). */
function checkpoint(connection: Database): boolean {
  try {
    const state = connection.query<WalState, []>("PRAGMA wal_checkpoint(PASSIVE)").get();
    if (!state) return false;
    const changed = state.log !== last.log || state.checkpointed !== last.checkpointed;
    last = state;
    if (changed && state.checkpointed > 0)
      report({ kind: "checkpointed", frames: state.checkpointed, log: state.log });
    return changed;
  } catch (error) {
    // Another checkpointer (a `dash` command's connection) at work is no failure: next time.
    if (!isBusy(error)) report({ kind: "failed", message: (error as Error).message });
    return false;
  }
}

/**
 * Often while commits come in (a small WAL to copy each time: a big one made the server's p99
 * 15 ms instead of 11), seldom when they do not: each idle round waits twice as long, to a second.
 */
function schedule(connection: Database, start: CheckpointStart): void {
  timer = setTimeout(() => {
    const busy = checkpoint(connection);
    delayMs = busy ? start.intervalMs : Math.min(start.idleMs, delayMs * 2);
    schedule(connection, start);
  }, delayMs);
}

function stop(): void {
  clearTimeout(timer);
  if (db) checkpoint(db);
  db?.close();
  db = undefined;
  process.exit(0);
}

self.onmessage = (event: MessageEvent<CheckpointStart | "stop">) => {
  if (event.data === "stop") return stop();
  if (db) return;
  try {
    const connection = openDatabase(event.data.path);
    db = connection;
    delayMs = event.data.intervalMs;
    schedule(connection, event.data);
    report({ kind: "started" });
  } catch (error) {
    report({ kind: "failed", message: (error as Error).message });
    process.exit(1);
  }
};
