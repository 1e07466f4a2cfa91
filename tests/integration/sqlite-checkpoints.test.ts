import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EventBus } from "../../src/bus/bus.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import { BackgroundCheckpoints } from "../../src/storage/sqlite-checkpointer.ts";
import { openDatabase } from "../../src/storage/sqlite-db.ts";
import { tempHome } from "../helpers.ts";

/**
 * The server's checkpoints in a worker thread (storage/sqlite-checkpointer.ts), on real files: the
 * worker's own connection copies the WAL into the file while the main connection only appends;
 * when the worker cannot work, checkpoints go back to the main connection's commits.
 */
const home = tempHome("dash-checkpoints-");
afterAll(() => home.cleanup());

const autocheckpoint = (db: Database) =>
  db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()?.wal_autocheckpoint;

/** Swarms in the database file itself, without its WAL: what checkpoints have copied into it. */
function swarmsInFile(path: string): number {
  const copy = `${path}.copy`;
  copyFileSync(path, copy);
  const db = new Database(copy, { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM swarms").get()?.n ?? 0;
  } catch {
    return -1; // copied in the middle of a checkpoint's writes: look again
  } finally {
    db.close();
    rmSync(copy, { force: true });
  }
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(10);
  }
}

test("the worker copies the WAL into the file; the main connection keeps only a far backstop", async () => {
  const path = join(home.dir, "busy.db");
  const warnings: string[] = [];
  const store = SqliteStore.open(path, { backgroundCheckpoints: (w) => warnings.push(w) });
  const checkpointer = store.checkpointer as BackgroundCheckpoints;
  expect(await checkpointer.ready).toBe(true);
  expect(autocheckpoint(store.db)).toBe(10_000);
  const lifecycle = new Lifecycle(store, new EventBus(), { maxAgentsPerSwarm: 100 });
  for (let i = 0; i < 20; i++)
    await lifecycle.createSwarm({ name: `s${i}`, task: "t", initialAgents: 50, config: { runtime: "demo" } });
  // Nobody checkpointed on commit (the WAL is far below 10,000 pages), yet the file catches up.
  await until(() => checkpointer.checkpoints > 0);
  await until(() => swarmsInFile(path) === 20);
  expect(warnings).toEqual([]);
  store.close();
  await checkpointer.stop();
  // Both connections are closed: the last one to close folded the WAL in and removed it.
  expect(existsSync(`${path}-wal`)).toBe(false);
  const reopened = SqliteStore.open(path);
  expect((await reopened.listSwarms()).length).toBe(20);
  reopened.close();
});

test("a worker that cannot open the file: a warning, and checkpoints run on commit again", async () => {
  const path = join(home.dir, "main.db");
  const db = openDatabase(path);
  // The worker is given a path under a regular file, which no connection can open.
  writeFileSync(join(home.dir, "a-file"), "");
  const warnings: string[] = [];
  const checkpointer = new BackgroundCheckpoints(db, join(home.dir, "a-file", "x.db"), (w) =>
    warnings.push(w),
  );
  expect(await checkpointer.ready).toBe(false);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain("checkpoints run on commit again");
  expect(autocheckpoint(db)).toBe(1000);
  await checkpointer.stop();
  db.close();
});

test("a store without the option, and an in-memory one, checkpoint on commit as SQLite does", () => {
  const plain = SqliteStore.open(join(home.dir, "plain.db"));
  expect(plain.checkpointer).toBeUndefined();
  expect(autocheckpoint(plain.db)).toBe(1000);
  plain.close();
  const memory = SqliteStore.open(":memory:", { backgroundCheckpoints: () => {} });
  expect(memory.checkpointer).toBeUndefined();
  memory.close();
});
