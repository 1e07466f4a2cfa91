import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { doctorContext } from "../../src/cli/doctor.ts";
import { type Check, runCheck } from "../../src/cli/doctor-checks.ts";
import { diskVerdict } from "../../src/cli/doctor-local.ts";
import { sandboxCheck, terminalCheck } from "../../src/cli/doctor-tools.ts";
import { main } from "../../src/cli/index.ts";
import { EXIT, runCli } from "../../src/cli/run.ts";
import { installHint } from "../../src/runtimes/install-hints.ts";
import { INSTALL_HINT } from "../../src/safety/sandbox.ts";
import { PostgresStore } from "../../src/storage/postgres.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import { openDatabase } from "../../src/storage/sqlite-db.ts";
import { VERSION } from "../../src/version.ts";
import { testServer } from "../api-helpers.ts";
import { captureConsole, tempHome } from "../helpers.ts";
import { newPostgresDatabase, postgresMissing } from "../pg-server.ts";

// `dash doctor` in-process against a real server on a loopback port, with real tools on PATHs
// made for each case (a folder of symlinks to the real bwrap, git… with one of them left out).
const api = await testServer();
const url = api.server.url.origin;
const scratch = tempHome("dash-doctor-");
afterAll(async () => {
  await api.close();
  scratch.cleanup();
});

/** A folder holding these programs: real ones as symlinks, fakes as scripts. */
function binDir(name: string, real: string[], fakes: Record<string, string> = {}): string {
  const dir = join(scratch.dir, name);
  mkdirSync(dir, { recursive: true });
  for (const program of real) {
    const path = Bun.which(program);
    if (path) symlinkSync(path, join(dir, program));
  }
  for (const [program, script] of Object.entries(fakes)) {
    writeFileSync(join(dir, program), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, program), 0o755);
  }
  return dir;
}

// `true` is what the bwrap probe runs inside its sandbox, found on the same PATH.
const TOOLS = ["bwrap", "true", "git", "setpriv", "setfacl"];
const tools = binDir("tools", TOOLS);
const clis = binDir("clis", [], { claude: 'echo "9.9.9 (Claude Code)"', codex: "exit 3" });
const noBwrap = binDir("no-bwrap", ["true"]);
const brokenBwrap = binDir("broken-bwrap", ["true", "git", "setpriv", "setfacl"], {
  bwrap: 'echo "bwrap: No permissions to create new namespace" >&2; exit 1',
});

interface Report {
  ok: boolean;
  checks: { name: string; status: "ok" | "warn" | "fail"; detail: string; fix?: string }[];
}

/** Runs `dash doctor <args>` with these environment variables (undefined: unset), as a fresh process would. */
async function doctor(args: string[], env: Record<string, string | undefined>): Promise<[number, string]> {
  const full = {
    NO_COLOR: "1",
    DASH_URL: undefined,
    DASH_API_KEY: undefined,
    DASH_AGENT_TOKEN: undefined,
    ...env,
  };
  const saved = Object.fromEntries(Object.keys(full).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const out: string[] = [];
  const err: string[] = [];
  const spies = captureConsole(
    () => out,
    () => err,
  );
  set(full);
  process.exitCode = 0;
  try {
    const code = await runCli(main, ["doctor", ...args], "test");
    return [code, out.join("\n")];
  } finally {
    for (const spy of spies) spy.mockRestore();
    set(saved);
    process.exitCode = 0;
  }
}

async function report(args: string[], env: Record<string, string | undefined>): Promise<[number, Report]> {
  const [code, text] = await doctor([...args, "--json"], env);
  return [code, JSON.parse(text) as Report];
}

const check = (r: Report, name: string) => {
  const found = r.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name} in ${r.checks.map((c) => c.name).join(", ")}`);
  return found;
};

const asRoot = process.getuid?.() === 0;
const serverHome = { DASH_HOME: api.t.dir };
const withKey = ["--url", url, "--key", api.keys.admin];

describe("dash doctor", () => {
  test("a working setup: every essential check passes, exit 0, and the --json shape", async () => {
    const [code, r] = await report(withKey, { ...serverHome, PATH: `${clis}:${tools}` });
    expect(code).toBe(EXIT.ok);
    expect(r.ok).toBe(true);
    for (const c of r.checks) {
      expect(Object.keys(c).every((k) => ["name", "status", "detail", "fix"].includes(k))).toBe(true);
      expect(["ok", "warn"]).toContain(c.status);
      expect(c.status === "ok" || typeof c.fix === "string" || c.name === "key").toBe(true);
    }
    expect(check(r, "server")).toMatchObject({ status: "ok" });
    expect(check(r, "server").detail).toContain(`${url}: Dash ${VERSION}`);
    expect(check(r, "key")).toMatchObject({ status: "ok", detail: "accepted (from --key)" });
    expect(check(r, "config").detail).toContain("defaults");
    expect(check(r, "database")).toMatchObject({ status: "ok" });
    expect(check(r, "database").detail).toContain("integrity ok");
    expect(check(r, "disk").detail).toContain("free in");
    expect(check(r, "sandbox").status).toBe("ok");
    expect(check(r, "git").detail).toMatch(/^git version /);
    expect(check(r, "runtime claude-code")).toMatchObject({ status: "ok" });
    expect(check(r, "runtime claude-code").detail).toEndWith("/claude: 9.9.9 (Claude Code)");
    // A CLI that is there but does not answer --version is a warning, with how to reinstall it.
    expect(check(r, "runtime codex")).toMatchObject({ status: "warn", fix: installHint("codex", "codex") });
    expect(check(r, "runtime codex").detail).toContain("--version` fails");
    if (asRoot) expect(check(r, "setpriv").status).toBe("ok");
    // Not a terminal here (captured): a warning, never a failure.
    expect(check(r, "terminal").status).toBe("warn");
  });

  test("people get ✓ ! ✗ lines with the fix indented under each miss", async () => {
    const [code, text] = await doctor(withKey, { ...serverHome, PATH: tools });
    expect(code).toBe(EXIT.ok);
    expect(text).toMatch(/^✓ server {2,}/m);
    expect(text).toMatch(/^! runtime claude-code +`claude` is not on PATH$/m);
    expect(text).toContain("\n    fix: install it with `npm install -g @anthropic-ai/claude-code`");
    expect(text).toContain("Ready: every essential check passes");
  });

  test("a missing CLI: a warning naming its npm package, and a custom runtime's program", async () => {
    const home = join(scratch.dir, "custom-home");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, "config.yaml"), 'runtimes:\n  mine:\n    command: ["my-tool", "{task}"]\n');
    const [code, r] = await report(withKey, { DASH_HOME: home, PATH: tools });
    expect(code).toBe(EXIT.ok);
    const packages = {
      "claude-code": "@anthropic-ai/claude-code",
      codex: "@openai/codex",
      gemini: "@google/gemini-cli",
      opencode: "opencode-ai",
    };
    for (const [runtime, pkg] of Object.entries(packages)) {
      expect(check(r, `runtime ${runtime}`).status).toBe("warn");
      expect(check(r, `runtime ${runtime}`).fix).toContain(`npm install -g ${pkg}`);
    }
    expect(check(r, "runtime mine")).toMatchObject({ status: "warn", detail: "`my-tool` is not on PATH" });
    expect(check(r, "runtime mine").fix).toContain(
      'install `my-tool` or put it on the server\'s PATH (runtime "mine"',
    );
    expect(check(r, "config").detail).toBe(join(home, "config.yaml"));
    // No database here yet: said, not failed.
    expect(check(r, "database")).toMatchObject({ status: "warn" });
    expect(check(r, "database").fix).toContain("`dash serve` creates it");
  });

  test("bwrap missing (and git, setpriv, setfacl): essential failures with the install hints", async () => {
    const [code, r] = await report(withKey, { ...serverHome, PATH: noBwrap });
    expect(code).toBe(EXIT.failure);
    expect(r.ok).toBe(false);
    expect(check(r, "sandbox")).toMatchObject({ status: "fail", fix: INSTALL_HINT });
    expect(check(r, "sandbox").detail).toContain("bubblewrap (bwrap) is not on PATH");
    expect(check(r, "git")).toMatchObject({ status: "warn" });
    if (asRoot) {
      expect(check(r, "setpriv")).toMatchObject({ status: "fail" });
      expect(check(r, "setpriv").fix).toContain("util-linux");
      expect(check(r, "setfacl").fix).toContain("apt-get install acl");
    }
    const [, text] = await doctor(withKey, { ...serverHome, PATH: noBwrap });
    expect(text).toMatch(/^✗ sandbox +bubblewrap/m);
    expect(text).toContain("\n    fix: install it (Debian/Ubuntu: apt-get install bubblewrap");
    expect(text).toContain("Not ready:");
  });

  test("bwrap that cannot make a sandbox: the probe's own words, and how to allow it", async () => {
    const [code, r] = await report(withKey, { ...serverHome, PATH: brokenBwrap });
    expect(code).toBe(EXIT.failure);
    expect(check(r, "sandbox").detail).toContain("No permissions to create new namespace");
    expect(check(r, "sandbox").fix).toStartWith("allow unprivileged user namespaces");
  });

  test("the server down: a fast failure that says `dash serve`; the key is then not checked", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const port = closed.port;
    await closed.stop(true);
    const started = Date.now();
    const [code, r] = await report(["--url", `http://127.0.0.1:${port}`, "--key", "k"], {
      ...serverHome,
      PATH: tools,
    });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(code).toBe(EXIT.failure);
    expect(check(r, "server")).toMatchObject({ status: "fail" });
    expect(check(r, "server").detail).toContain("(connection refused)");
    expect(check(r, "server").fix).toContain("`dash serve`");
    expect(check(r, "key")).toMatchObject({ status: "warn", detail: "not checked: no server answers" });
  });

  test("something else on the port: not a healthy Dash server", async () => {
    const other = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response("nope", { status: 404 }),
    });
    try {
      const [code, r] = await report(["--url", other.url.origin, "--key", "k"], {
        ...serverHome,
        PATH: tools,
      });
      expect(code).toBe(EXIT.failure);
      expect(check(r, "server").detail).toContain("answers, but not as a healthy Dash server");
    } finally {
      await other.stop(true);
    }
  });

  test("a wrong, a revoked or no key: a failure naming where keys come from; the credentials file works", async () => {
    for (const key of ["dash_api_key_wrong", api.keys.revoked]) {
      const [code, r] = await report(["--url", url, "--key", key], { ...serverHome, PATH: tools });
      expect(code).toBe(EXIT.failure);
      expect(check(r, "key").status).toBe("fail");
      expect(check(r, "key").detail).toContain("the key from --key is refused");
      expect(check(r, "key").fix).toContain("--key, DASH_API_KEY, or $DASH_HOME/credentials");
    }
    const home = join(scratch.dir, "keyless-home");
    mkdirSync(home, { recursive: true });
    const [, none] = await report(["--url", url], { DASH_HOME: home, PATH: tools });
    expect(check(none, "key")).toMatchObject({ status: "fail", detail: `no API key found for ${url}` });
    const [, env] = await report(["--url", url], { DASH_HOME: home, PATH: tools, DASH_API_KEY: "nope" });
    expect(check(env, "key").detail).toContain("the key from DASH_API_KEY is refused");
    writeFileSync(join(home, "credentials"), JSON.stringify({ url, key: api.keys.read }));
    const [code, saved] = await report([], { DASH_HOME: home, PATH: tools });
    expect(code).toBe(EXIT.ok);
    expect(check(saved, "key")).toMatchObject({ status: "ok" });
    expect(check(saved, "key").detail).toContain(join(home, "credentials"));
  });

  test("a configuration that does not load: an essential failure, the database then not checked", async () => {
    const home = join(scratch.dir, "bad-config-home");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, "config.yaml"), "server:\n  port: nope\n");
    const [code, r] = await report(withKey, { DASH_HOME: home, PATH: tools });
    expect(code).toBe(EXIT.failure);
    expect(check(r, "config")).toMatchObject({ status: "fail" });
    expect(check(r, "config").detail).toContain("server.port");
    expect(check(r, "database").detail).toBe("not checked: the configuration does not load");
  });
});

describe("the database's integrity, on real SQLite files", () => {
  /** A migrated database, checkpointed so the whole of it is in the file, and its page size. */
  function realDatabase(name: string) {
    const home = join(scratch.dir, name);
    const path = join(home, "dash.db");
    const store = SqliteStore.open(path);
    const pageSize = (store.db.query("PRAGMA page_size").get() as { page_size: number }).page_size;
    const root = (page: string) =>
      (store.db.query("SELECT rootpage FROM sqlite_master WHERE name = ?").get(page) as { rootpage: number })
        .rootpage;
    // SQLite lists what is wrong in a damaged index, and refuses outright to walk a damaged table.
    const pages = { index: root("idx_event_timestamp"), table: root("events") };
    store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    store.close();
    return { home, path, pageSize, pages };
  }

  /** A copy of the file with garbage written over one page (1-based, as SQLite counts them). */
  function corrupt(db: ReturnType<typeof realDatabase>, name: string, page: number): string {
    const home = join(scratch.dir, name);
    mkdirSync(home, { recursive: true });
    const path = join(home, "dash.db");
    copyFileSync(db.path, path);
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(db.pageSize, 0xa5), 0, db.pageSize, (page - 1) * db.pageSize);
    closeSync(fd);
    return home;
  }

  test("a sound file is ok; a page of garbage is found, through the Store interface and by doctor", async () => {
    const db = realDatabase("sound");
    const sound = new SqliteStore(openDatabase(db.path));
    expect(await sound.checkIntegrity()).toEqual([]);
    sound.close();

    const damaged = corrupt(db, "damaged", db.pages.index);
    const store = new SqliteStore(openDatabase(join(damaged, "dash.db")));
    const problems = await store.checkIntegrity();
    store.close();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join("\n")).toContain(`page ${db.pages.index}: btreeInitPage()`);

    const [code, r] = await report(withKey, { DASH_HOME: damaged, PATH: tools });
    expect(code).toBe(EXIT.failure);
    expect(check(r, "database")).toMatchObject({ status: "fail" });
    expect(check(r, "database").detail).toContain("is damaged");
    expect(check(r, "database").fix).toContain("restore a backup");
  });

  test("a table page of garbage: SQLite refuses to walk it, and that refusal is the problem", async () => {
    const db = realDatabase("table");
    const store = new SqliteStore(
      openDatabase(join(corrupt(db, "table-damaged", db.pages.table), "dash.db")),
    );
    expect(await store.checkIntegrity()).toEqual(["database disk image is malformed"]);
    store.close();
  });
});

describe("doctor's parts", () => {
  const ctx = doctorContext({}, { DASH_HOME: scratch.dir, PATH: noBwrap });

  test("a check that hangs times out; one that throws is a miss; only an essential one fails", async () => {
    const hang: Check = { name: "slow", essential: true, run: () => new Promise(() => {}) };
    expect(await runCheck(hang, 30)).toEqual({
      name: "slow",
      status: "fail",
      detail: "no answer within 0.03s",
    });
    const optional: Check = {
      name: "nice",
      essential: false,
      run: async () => ({ status: "fail", detail: "x" }),
    };
    expect((await runCheck(optional, 1000)).status).toBe("warn");
    const throws: Check = {
      name: "boom",
      essential: true,
      run: async () => {
        throw new Error("it broke");
      },
    };
    expect(await runCheck(throws, 1000)).toEqual({ name: "boom", status: "fail", detail: "it broke" });
  });

  test("disk thresholds: under 100 MiB fails, under 1 GiB warns", () => {
    expect(diskVerdict(50 * 1024 * 1024)).toBe("fail");
    expect(diskVerdict(500 * 1024 * 1024)).toBe("warn");
    expect(diskVerdict(2 * 1024 ** 3)).toBe("ok");
  });

  test("the sandbox elsewhere: macOS needs sandbox-exec, other systems have none", async () => {
    const mac = await sandboxCheck({ ...ctx, platform: "darwin" }).run();
    expect(mac).toMatchObject({ status: "fail", detail: "sandbox-exec is not on PATH" });
    const bsd = sandboxCheck({ ...ctx, platform: "freebsd" });
    expect(bsd.essential).toBe(false);
    expect((await bsd.run()).fix).toContain("fileSandbox: false");
  });

  test("the terminal: TERM, dumb terminals and truecolor", async () => {
    const tty = { ...ctx, isTTY: true };
    const term = async (env: Record<string, string>) => terminalCheck({ ...tty, env }).run();
    expect(await term({ TERM: "xterm-256color", COLORTERM: "truecolor" })).toEqual({
      status: "ok",
      detail: "TERM=xterm-256color, truecolor",
    });
    expect((await term({ TERM: "screen-256color" })).detail).toContain("256 colors");
    expect((await term({ TERM: "dumb" })).status).toBe("warn");
    expect((await term({})).detail).toContain("TERM is not set");
  });
});

describe("the database on PostgreSQL (database.url / DASH_DATABASE_URL)", () => {
  const pgMissing = postgresMissing();
  test.skipIf(pgMissing !== null && !process.env.CI)(
    "reachable: its version and migration; not migrated: a warning; not answering: a failure with the fix",
    async () => {
      const home = join(scratch.dir, "pg-home");
      mkdirSync(home, { recursive: true });
      const migrated = await newPostgresDatabase();
      const store = await PostgresStore.open(migrated);
      await store.end();
      const [, up] = await report(withKey, { DASH_HOME: home, PATH: tools, DASH_DATABASE_URL: migrated });
      expect(check(up, "database")).toMatchObject({ status: "ok" });
      expect(check(up, "database").detail).toMatch(/PostgreSQL \d+.*at migration \d+/);
      const fresh = await newPostgresDatabase();
      const [, bare] = await report(withKey, { DASH_HOME: home, PATH: tools, DASH_DATABASE_URL: fresh });
      expect(check(bare, "database")).toMatchObject({ status: "warn" });
      expect(check(bare, "database").fix).toContain("dash migrate");
      const gone = "postgres://dash:secret@127.0.0.1:9/dash";
      const [code, down] = await report(withKey, { DASH_HOME: home, PATH: tools, DASH_DATABASE_URL: gone });
      expect(code).toBe(EXIT.failure);
      expect(check(down, "database")).toMatchObject({ status: "fail" });
      expect(check(down, "database").fix).toContain("DASH_DATABASE_URL");
      expect(JSON.stringify(down)).not.toContain("secret");
    },
  );
});
