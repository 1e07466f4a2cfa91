import { spyOn } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "../src/bus/bus.ts";
import { TableFeed } from "../src/core/event-feed.ts";
import { Lifecycle, type LifecycleOptions } from "../src/core/lifecycle.ts";
import type { DashError } from "../src/domain/errors.ts";
import type { EventRecord } from "../src/domain/event.ts";
import { PostgresStore } from "../src/storage/postgres.ts";
import { SqliteStore } from "../src/storage/sqlite.ts";
import { lazyPostgresStore } from "./pg-server.ts";

/** A fresh DASH_HOME in the system temp dir; `cleanup()` removes it. */
export function tempHome(prefix = "dash-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The store the tests run on: a real SQLite file, or with DASH_TEST_STORE=postgres a fresh
 * database on the test process's real PostgreSQL server (tests/pg-server.ts). `.ci/run` runs the
 * store-backed suites both ways; a test that reaches into SQLite itself (`store.db`) is SQLite-only.
 */
export const TEST_STORE: "sqlite" | "postgres" =
  process.env.DASH_TEST_STORE === "postgres" ? "postgres" : "sqlite";

function testStore(dbPath: string): {
  store: SqliteStore;
  another: (options?: { now?: () => number }) => SqliteStore;
} {
  if (TEST_STORE === "sqlite") {
    return { store: SqliteStore.open(dbPath), another: (options) => SqliteStore.open(dbPath, options) };
  }
  // Typed as the SQLite store the suites were written against: on PostgreSQL only the Store
  // interface is used (the suites that touch `.db` are not in the PostgreSQL list).
  const { store, url } = lazyPostgresStore();
  const another = (options?: { now?: () => number }) =>
    PostgresStore.lazy(url, options) as unknown as SqliteStore;
  return { store: store as unknown as SqliteStore, another };
}

/** A real store (see testStore), migrated, with a lifecycle whose bus records what it publishes. */
export function testLifecycle(options: LifecycleOptions = {}) {
  const home = tempHome();
  const dbPath = join(home.dir, "dash.db");
  const { store, another } = testStore(dbPath);
  const bus = new EventBus();
  const published: EventRecord[] = [];
  bus.subscribe((e) => published.push(e));
  // On PostgreSQL commits can return out of order: the bus is fed from the table, as dash serve does.
  const feed = TEST_STORE === "postgres" ? new TableFeed(store, bus, (e) => console.error(e)) : undefined;
  const lifecycle = new Lifecycle(store, bus, { ...options, ...(feed ? { feed } : {}) });
  return {
    dir: home.dir,
    dbPath,
    store,
    bus,
    lifecycle,
    published,
    /** A second store on the same database (another connection, as another process would have). */
    another,
    /** Events stored, through the Store (either database). */
    countEvents: async () => (await store.metricsSnapshot()).events,
    close: () => {
      store.close();
      home.cleanup();
    },
  };
}

export const ROOT = join(import.meta.dir, "..");

/** Waits until `check()` holds, polling every 5 ms; throws after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(5);
  }
}

/**
 * Captures what a CLI command prints in this process: console.log lines (and, with `stdout`,
 * raw stdout writes) into `out`, stderr writes into `err`. Returns the spies to restore.
 */
export function captureConsole(
  out: () => string[],
  err: () => string[],
  options: { stdout?: boolean } = {},
): { mockRestore: () => void }[] {
  const write = (into: () => string[]) => (s: string | Uint8Array) => into().push(String(s)) > 0;
  return [
    spyOn(console, "log").mockImplementation((...a: unknown[]) => void out().push(a.join(" "))),
    ...(options.stdout ? [spyOn(process.stdout, "write").mockImplementation(write(out))] : []),
    spyOn(process.stderr, "write").mockImplementation(write(err)),
  ];
}

/**
 * Runs a world script (tests/<x>/world.ts) inside a network namespace with only loopback, so
 * nothing it starts can leave the machine, and returns the JSON of its last stdout line.
 */
export async function runWorldOffline<T>(script: string, what: string): Promise<T> {
  const world = Bun.spawn(
    ["unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" ${script}`, process.execPath],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(world.stdout).text(),
    new Response(world.stderr).text(),
    world.exited,
  ]);
  if (code !== 0) throw new Error(`the ${what} world exited with ${code}:\n${err.slice(-3000)}`);
  return JSON.parse(out.trim().split("\n").at(-1) as string) as T;
}

/** The DashError `fn` throws (a test of a refusal), or a failure when it throws none. */
export function refusal(fn: () => unknown): DashError {
  try {
    fn();
  } catch (error) {
    return error as DashError;
  }
  throw new Error("expected a refusal");
}
