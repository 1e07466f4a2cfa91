import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { PostgresStore } from "../src/storage/postgres.ts";

/**
 * A real PostgreSQL server for the tests: one per test process, started on first use in a temp
 * data directory, on a free loopback port, with no unix socket and fsync off (speed; the data is
 * thrown away). PostgreSQL refuses to run as root, so under root it runs as the `postgres` user.
 * It is watched by a small shell that stops the server and removes its directory when this
 * process's pipe to it closes: even a `kill -9` of the test runner leaves nothing behind.
 */
export interface PgServer {
  /** The admin URL (database `postgres`). */
  url: string;
  /** Creates an empty database and returns its URL. */
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** The directory holding initdb and postgres, or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  const fromEnv = process.env.DASH_PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, "postgres")) ? fromEnv : null;
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], "bin");
  }
  const initdb = Bun.which("initdb");
  return initdb ? join(initdb, "..") : null;
}

/** Why the PostgreSQL half of the tests cannot run here, or null when it can. */
export function postgresMissing(): string | null {
  return postgresBinDir()
    ? null
    : "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH; set DASH_PG_BIN): apt-get install -y postgresql";
}

/** The uid/gid to run the server as: the `postgres` user under root, else ourselves. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error("running as root needs a `postgres` user for the test server");
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

// Started by the shell below with the server's argv as "$@": it ends the server (immediate
// shutdown) and removes the data directory when its stdin reaches EOF, i.e. when we are gone.
const WATCHDOG = `"$@" >"$DASH_PG_DIR/server.log" 2>&1 & pid=$!
cat >/dev/null
kill -QUIT "$pid" 2>/dev/null
wait "$pid"
rm -rf "$DASH_PG_DIR"`;

async function start(): Promise<PgServer> {
  const missing = postgresMissing();
  if (missing) throw new Error(missing);
  const bin = postgresBinDir() as string;
  const dir = mkdtempSync(join(tmpdir(), "dash-pg-"));
  const data = join(dir, "data");
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const init = Bun.spawnSync(
    [join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
    { ...asUser, cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" } },
  );
  if (init.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr.toString()}`);
  }
  const port = freePort();
  const server = Bun.spawn(
    [
      "sh",
      "-c",
      WATCHDOG,
      "sh",
      join(bin, "postgres"),
      "-D",
      data,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "max_connections=400",
    ],
    {
      ...asUser,
      cwd: dir,
      stdin: "pipe",
      stdout: "ignore",
      stderr: "ignore",
      env: { ...process.env, DASH_PG_DIR: dir },
    },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = await waitReady(url, server, join(dir, "server.log"));
  let n = 0;
  let stopped: Promise<void> | null = null;
  return {
    url,
    async newDatabase() {
      const name = `dash_t_${process.pid}_${++n}`;
      await admin.unsafe(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      stopped ??= (async () => {
        await admin.close({ timeout: 0 });
        server.stdin.end();
        await server.exited;
      })();
      return stopped;
    },
  };
}

/** Polls until the server answers (initdb + first start take a second or two), or it died. */
async function waitReady(
  url: string,
  server: Bun.Subprocess<"pipe", "ignore", "ignore">,
  log: string,
): Promise<SQL> {
  const end = Date.now() + 30_000;
  for (;;) {
    const sql = new SQL(url, { max: 2, connectionTimeout: 2 });
    try {
      await sql`SELECT 1`;
      return sql;
    } catch (error) {
      await sql.close({ timeout: 0 });
      if (server.exitCode !== null || Date.now() > end) {
        const output = existsSync(log) ? readFileSync(log, "utf8") : "";
        server.stdin.end();
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${output.slice(-2000)}`);
      }
      await Bun.sleep(50);
    }
  }
}

let shared: Promise<PgServer> | null = null;

/** The test process's PostgreSQL server, started on first use. */
export function startPostgres(): Promise<PgServer> {
  shared ??= start();
  return shared;
}

/** A URL of a fresh empty database on the shared server. */
export async function newPostgresDatabase(): Promise<string> {
  return (await startPostgres()).newDatabase();
}

/**
 * A PostgresStore on a fresh database, usable at once (synchronously): its methods wait for the
 * server, the database and the migrations. `url` is the same promise, to open more stores (more
 * "nodes") on that database.
 */
export function lazyPostgresStore(options: { now?: () => number } = {}): {
  store: PostgresStore;
  url: Promise<string>;
} {
  const url = newPostgresDatabase();
  return { store: PostgresStore.lazy(url, options), url };
}
