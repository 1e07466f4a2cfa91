// The whole test suite, as `npm test` runs it: every test with coverage on SQLite, then the suites
// that go through the store again on PostgreSQL (DASH_TEST_STORE=postgres: a real server the tests
// start, see tests/pg-server.ts). Ends with the totals of both passes, in bun test's own form.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Integration suites left out of the PostgreSQL pass, and why: they reach into SQLite itself, or
 * do not touch the store's semantics (and are long), or are the PostgreSQL suites themselves. A
 * suite with one SQLite-only case runs here with that case skipped (`TEST_STORE` in tests/helpers.ts).
 */
const NOT_ON_POSTGRES = {
  "usage-two-processes.test.ts": "two OS processes on one SQLite file",
  "migrate.test.ts": "the SQLite migrator; PG's: tests/unit/postgres-migrate.test.ts",
  "migrate-cheaper-writes.test.ts": "a SQLite migration",
  "cli-doctor.test.ts": "SQLite's integrity_check on a damaged file",
  "store-contract.test.ts": "runs both stores itself",
  "notification-store.test.ts": "runs both stores itself",
  "sqlite-checkpoints.test.ts": "SQLite's own checkpoints",
  "postgres-serve.test.ts": "PostgreSQL only already",
  "agent-clis.test.ts": "the real CLIs: no store semantics, long",
  "agent-clis-gateway.test.ts": "the real CLIs: no store semantics, long",
  "openclaw-gateway.test.ts": "the real OpenClaw gateway: no store semantics, long",
  "sandbox-escape.test.ts": "the sandbox: no store semantics",
  "sandbox-escape-grants.test.ts": "the sandbox: no store semantics",
};

/** Runs bun test, its output passed through, and returns its exit code and totals. */
export function bunTest(bun, root, args, env) {
  return new Promise((resolve) => {
    const child = spawn(bun, ["test", ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    // Stopping `npm test` stops the run in progress too (it would run on alone otherwise).
    const forward = (signal) => child.kill(signal);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.once(signal, forward);
    let tail = "";
    const partial = new Map(); // the unfinished last line of each stream
    const failures = new Set();
    const keep = (chunk, to) => {
      to.write(chunk);
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      // The failed tests' names, printed again with the totals: CI keeps only the log's tail.
      const lines = ((partial.get(to) ?? "") + text).split("\n");
      partial.set(to, lines.pop() ?? "");
      // bun test prints each failure twice (where it ran, and in its summary): once is enough.
      for (const line of lines) if (line.startsWith("(fail) ")) failures.add(line);
    };
    child.stdout.on("data", (c) => keep(c, process.stdout));
    child.stderr.on("data", (c) => keep(c, process.stderr));
    child.on("close", (code) => {
      for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.off(signal, forward);
      const count = (word) =>
        Number(
          /^ *(\d+) /m.exec(
            tail
              .split("\n")
              .filter((l) => l.trim().endsWith(` ${word}`))
              .at(-1) ?? "",
          )?.[1] ?? 0,
        );
      resolve({ code: code ?? 1, pass: count("pass"), fail: count("fail"), failures });
    });
  });
}

export async function testAll(bun, root, rest) {
  const first = await bunTest(bun, root, ["--coverage", ...rest], process.env);
  // `npm test -- <files>` runs what was asked, once.
  if (rest.length > 0) return first.code;
  const dir = join(root, "tests", "integration");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts") && !(f in NOT_ON_POSTGRES))
    .map((f) => join("tests", "integration", f));
  console.log(`\n::: the store's suites again on PostgreSQL (${files.length} files)`);
  const second = await bunTest(bun, root, files, { ...process.env, DASH_TEST_STORE: "postgres" });
  console.log(
    `\nboth stores: SQLite ${first.pass} pass ${first.fail} fail, PostgreSQL ${second.pass} pass ${second.fail} fail`,
  );
  const failures = [...first.failures, ...[...second.failures].map((f) => `${f} [PostgreSQL]`)];
  if (failures.length > 0) console.log(`\nfailed tests:\n${failures.join("\n")}`);
  console.log(` ${first.pass + second.pass} pass\n ${first.fail + second.fail} fail`);
  return first.code !== 0 ? first.code : second.code;
}
