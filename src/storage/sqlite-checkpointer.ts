import type { Database } from "bun:sqlite";

/** What the worker (sqlite-checkpoint-worker.ts) is told first: the file and how often. */
export interface CheckpointStart {
  path: string;
  /** Between checkpoints while the WAL grows. */
  intervalMs: number;
  /** The longest wait between checkpoints of an idle database. */
  idleMs: number;
}

/** What the worker says: up, a checkpoint that copied frames, a failure (its end is its close event). */
export type CheckpointReport =
  | { kind: "started" }
  | { kind: "checkpointed"; frames: number; log: number }
  | { kind: "failed"; message: string };

/** How often the worker copies the WAL into the file while it grows, and at most when idle. */
const INTERVAL_MS = 25;
const IDLE_MS = 1000;
/** SQLite's own: the committing connection checkpoints once the WAL holds this many pages. */
const ON_COMMIT_PAGES = 1000;
/**
 * While the worker checkpoints. The WAL starts over only when a commit finds every frame of it in
 * the file, which a checkpoint running beside a steady stream of commits never leaves behind:
 * under such a load the main connection's checkpoint at this size (~40 MiB) is what starts it
 * over, with little left to copy by then.
 */
const BACKSTOP_PAGES = 10_000;

/**
 * Where the worker's module is: beside this file when run from source; in the compiled binary,
 * where every module's import.meta.url is the bundle's, under the bundle's root (src/), as build.ts
 * embeds it (a second entry point).
 */
function workerUrl(): URL {
  if (import.meta.url.includes("/$bunfs/"))
    return new URL("./storage/sqlite-checkpoint-worker.ts", import.meta.url);
  return new URL("./sqlite-checkpoint-worker.ts", import.meta.url);
}

/**
 * Checkpoints in a worker thread (issue 29). With synchronous=NORMAL a COMMIT only appends to the
 * WAL; the checkpoint that copies the WAL back into the file, and its fsync, runs in whichever
 * connection's commit crosses a thousand pages: under 50 connections of swarm creates, the server's
 * event loop then waits on the disk (13 % of its throughput, and its p99 went from 10 to 15 ms).
 * The worker's own connection does it instead, every 25 ms while commits come in; the main keeps a far
 * backstop, and goes back to checkpointing on commit if the worker fails or stops.
 */
export class BackgroundCheckpoints {
  private readonly worker: Worker;
  /** Resolves true once the worker's connection is open, false if it could not start. */
  readonly ready: Promise<boolean>;
  /** Checkpoints that copied frames (what a test can see of the worker's work). */
  checkpoints = 0;
  private stopped: Promise<void> | undefined;
  private exited = false;

  constructor(
    private readonly db: Database,
    path: string,
    private readonly warn: (message: string) => void,
  ) {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    this.ready = promise;
    this.worker = new Worker(workerUrl().href);
    // The worker must not keep a finished process alive; stop() ends it on a graceful close.
    this.worker.unref();
    this.worker.addEventListener("close", () => {
      this.exited = true;
    });
    this.worker.addEventListener("error", (event) => {
      this.fallBack(`the checkpoint worker failed: ${(event as ErrorEvent).message}`);
      resolve(false);
    });
    this.worker.addEventListener("message", (event: MessageEvent<CheckpointReport>) => {
      const report = event.data;
      if (report.kind === "started") {
        // A store closed before its worker was up has no connection left to set.
        if (!this.stopped) this.db.run(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
        resolve(true);
      } else if (report.kind === "checkpointed") {
        this.checkpoints++;
      } else if (report.kind === "failed") {
        this.fallBack(`a background checkpoint failed: ${report.message}`);
        resolve(false);
      }
    });
    this.worker.postMessage({ path, intervalMs: INTERVAL_MS, idleMs: IDLE_MS } satisfies CheckpointStart);
  }

  /** Checkpoints go back to the main connection's commits, as without the worker. */
  private fallBack(why: string): void {
    if (this.stopped) return; // the store is closing (or closed): nothing to fall back to
    this.db.run(`PRAGMA wal_autocheckpoint = ${ON_COMMIT_PAGES}`);
    this.warn(`${why}; checkpoints run on commit again`);
  }

  /** Asks the worker to checkpoint a last time and close its connection; resolves once it has. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.worker.addEventListener("close", () => resolve());
      // Until it has closed, the worker keeps the process alive (a server exits once idle).
      this.worker.ref();
      this.worker.postMessage("stop");
    });
    return this.stopped;
  }
}
