import type { Database } from "bun:sqlite";
import { immediate } from "./sqlite-db.ts";

interface Job {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Writes that share one COMMIT at most; a longer queue goes on in the next turn (requests in between). */
const MAX_BATCH = 64;

/**
 * Group commit for the SQLite store's write transactions. A COMMIT writes every page the
 * transaction touched to the WAL, and writes that arrive together (50 requests at once) touch the
 * same right-most pages of the same tables and indexes: committing them together writes those
 * pages once instead of once each. Apart from the first write of a turn (committed at once), the
 * writes asked for during one turn of the event loop run on the next turn (setImmediate), in the
 * order asked, in ONE immediate transaction: a write that throws is rolled back alone (see
 * commitBatch) and its caller gets the error, the others commit. Every promise settles only after
 * COMMIT, in the order asked, so what a caller publishes was committed, and events reach the bus in
 * commit order.
 */
export class GroupCommit {
  private queue: Job[] = [];
  private scheduled = false;
  /** A write already committed at once in this turn: the next ones of the turn wait and share. */
  private busyTurn = false;

  constructor(private readonly db: Database) {}

  /**
   * Runs `fn` (synchronous, free of side effects outside the database) in a group commit. The
   * first write of a turn commits at once, as without grouping (an idle server answers as fast
   * as before); writes asked for after it in the same turn are grouped into the next turn.
   */
  write<T>(fn: () => T): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    if (!this.busyTurn && this.queue.length === 1) {
      this.busyTurn = true;
      this.commitBatch();
    }
    this.schedule();
    return promise;
  }

  /** Commits everything queued, now (the store closes: no write is left behind). */
  drain(): void {
    while (this.queue.length > 0) this.commitBatch();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.busyTurn = false;
      if (this.queue.length > 0) this.commitBatch();
      if (this.queue.length > 0) this.schedule();
    });
  }

  private commitBatch(): void {
    const jobs = this.queue.splice(0, MAX_BATCH);
    let outcomes: Outcome[];
    try {
      // Optimistic first: no savepoints (each one copies the pages it changes), the batch as a
      // whole. A write that throws aborts it; the batch then runs again with a savepoint per write,
      // so that write alone is rolled back. Writes are pure functions of the database, so running
      // them twice (also: again when the database is busy) decides the same.
      outcomes = immediate(this.db, () => jobs.map(together));
    } catch (error) {
      if (!(error instanceof WriteFailed)) return void this.rejectAll(jobs, error); // BEGIN or COMMIT
      if (jobs.length === 1) return void (jobs[0] as Job).reject(error.cause);
      try {
        outcomes = immediate(this.db, () => jobs.map((job) => this.alone(job)));
      } catch (again) {
        return void this.rejectAll(jobs, again);
      }
    }
    outcomes.forEach((outcome, i) => {
      const job = jobs[i] as Job;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.value);
    });
  }

  /** Nothing of the batch is in the database. */
  private rejectAll(jobs: Job[], error: unknown): void {
    for (const job of jobs) job.reject(error);
  }

  private alone(job: Job): Outcome {
    this.db.run("SAVEPOINT dash_write");
    try {
      const value = job.fn();
      this.db.run("RELEASE dash_write");
      return { ok: true, value };
    } catch (error) {
      this.db.run("ROLLBACK TO dash_write");
      this.db.run("RELEASE dash_write");
      return { ok: false, value: error };
    }
  }
}

type Outcome = { ok: boolean; value: unknown };

/** A write of an optimistic batch threw: the batch is rolled back and run again write by write. */
class WriteFailed extends Error {}

function together(job: Job): Outcome {
  try {
    return { ok: true, value: job.fn() };
  } catch (error) {
    throw new WriteFailed("a write of the batch failed", { cause: error });
  }
}
