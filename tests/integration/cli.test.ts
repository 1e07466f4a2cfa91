import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { main } from "../../src/cli/index.ts";
import { EXIT, reportError, runCli } from "../../src/cli/run.ts";
import { table } from "../../src/cli/style.ts";
import { DashError } from "../../src/domain/errors.ts";
import { EMBEDDED_MIGRATIONS } from "../../src/storage/migrations.ts";
import { captureConsole, tempHome } from "../helpers.ts";

// The CLI in-process (the e2e suite runs the compiled binary): output captured, DASH_HOME temp.
const home = tempHome();
const saved = process.env.DASH_HOME;
let out: string[] = [];
let err: string[] = [];
const spies: { mockRestore: () => void }[] = [];

beforeEach(() => {
  process.env.DASH_HOME = home.dir;
  process.env.NO_COLOR = "1";
  out = [];
  err = [];
  spies.push(
    ...captureConsole(
      () => out,
      () => err,
      { stdout: true },
    ),
  );
});
afterEach(() => {
  for (const s of spies.splice(0)) s.mockRestore();
  process.exitCode = 0;
});
afterAll(() => {
  process.env.DASH_HOME = saved;
  home.cleanup();
});

describe("dash CLI", () => {
  test("migrate, status (table and JSON), rollback", async () => {
    expect(await runCli(main, ["migrate"], "1.2.3")).toBe(EXIT.ok);
    expect(out.join("")).toContain("applied 001 initial_schema");
    expect(await runCli(main, ["migrate"], "1.2.3")).toBe(EXIT.ok);
    expect(out.join("")).toContain(`up to date (version ${EMBEDDED_MIGRATIONS.length})`);
    out = [];
    await runCli(main, ["migrate", "--status"], "1.2.3");
    expect(out.join("\n")).toMatch(/001\s+initial_schema\s+applied/);
    out = [];
    await runCli(main, ["migrate", "--status", "--json"], "1.2.3");
    expect(JSON.parse(out.join("")).migrations[0]).toMatchObject({ version: 1, applied: true });
    out = [];
    await runCli(main, ["migrate", "--rollback", "0", "--json"], "1.2.3");
    expect(JSON.parse(out.join(""))).toEqual({
      rolledBack: EMBEDDED_MIGRATIONS.map((_, i) => i + 1).reverse(),
      target: 0,
    });
    out = [];
    await runCli(main, ["migrate", "--rollback", "0"], "1.2.3");
    expect(out.join("")).toContain("Nothing to roll back");
    await runCli(main, ["migrate", "--json"], "1.2.3");
    await runCli(main, ["migrate", "--rollback", "0"], "1.2.3");
    expect(out.join("")).toContain("rolled back 001");
  });

  test("--version, --help, no arguments", async () => {
    expect(await runCli(main, ["--version"], "9.9.9")).toBe(EXIT.ok);
    expect(out.join("")).toBe("9.9.9\n");
    expect(await runCli(main, ["migrate", "--help"], "9.9.9")).toBe(EXIT.ok);
    expect(await runCli(main, [], "9.9.9")).toBe(EXIT.ok);
  });

  test("errors: usage 2, validation 2, auth 3, others 1, never a stack for a DashError", async () => {
    expect(await runCli(main, ["nope"], "1")).toBe(EXIT.usage);
    expect(await runCli(main, ["migrate", "--rollback", "-3"], "1")).toBe(EXIT.usage);
    expect(reportError(new DashError("UNAUTHORIZED", "bad key"))).toBe(EXIT.auth);
    expect(reportError(new DashError("INTERNAL_ERROR", "boom"))).toBe(EXIT.failure);
    expect(reportError(new Error("plain"))).toBe(EXIT.failure);
    expect(reportError("a string")).toBe(EXIT.failure);
    expect(err.join("")).toContain("error: bad key");
  });

  test("tables align columns", () => {
    expect(table(["A", "LONG HEADER"], [["xyz", "1"]]).split("\n")).toEqual(["A    LONG HEADER", "xyz  1"]);
  });
});

describe("dash serve in-process", () => {
  test("starts on a free port, answers /health, and stops on SIGTERM", async () => {
    expect(await runCli(main, ["serve", "--port", "0"], "1")).toBe(EXIT.ok);
    const started = err.map((l) => l.trim()).find((l) => l.includes('"dash serving"')) as string;
    const url = JSON.parse(started).url as string;
    expect((await fetch(new URL("/health", url))).status).toBe(200);
    const key = out.join("").match(/dash_api_key_[A-Za-z0-9_-]{32}/)?.[0];
    expect(key).toBeDefined();
    const saved = JSON.parse(await Bun.file(`${home.dir}/credentials`).text());
    expect(saved.key).toBe(key);
    process.emit("SIGTERM");
    await Bun.sleep(50);
    await expect(fetch(new URL("/health", url))).rejects.toThrow();
    expect(err.join("")).toContain('"stopped"');
  });

  test("a malformed key in config.yaml stops the start and names it", async () => {
    await Bun.write(
      `${home.dir}/config.yaml`,
      "api:\n  keys:\n    - { name: ci, key: short, permissions: [read] }\n",
    );
    expect(await runCli(main, ["serve", "--port", "0"], "1")).toBe(EXIT.failure);
    expect(err.join("")).toContain('api.keys "ci"');
    await Bun.write(`${home.dir}/config.yaml`, "");
  });

  test("a bad --port is a usage error; a busy port is explained", async () => {
    expect(await runCli(main, ["serve", "--port", "http"], "1")).toBe(EXIT.usage);
    const blocker = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    expect(await runCli(main, ["serve", "--port", String(blocker.port)], "1")).toBe(EXIT.failure);
    expect(err.join("")).toContain(`port ${blocker.port} is already in use`);
    await blocker.stop(true);
  });
});
