import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_MIGRATIONS } from "../../src/storage/migrations.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash } from "./compiled.ts";

const ALL = EMBEDDED_MIGRATIONS.map((_, i) => i + 1);
const LAST = ALL.length;

// The real compiled binary, built from this tree into a temp dir, run from an empty folder.
const work = tempHome("dash-e2e-");
let bin = "";
const empty = join(work.dir, "empty");

beforeAll(async () => {
  mkdirSync(empty, { recursive: true });
  bin = await compiledDash();
}, 120_000);
afterAll(() => work.cleanup());

function dash(args: string[], home: string, cwd = empty) {
  const env = { PATH: process.env.PATH ?? "", DASH_HOME: home, NO_COLOR: "1" };
  const r = Bun.spawnSync([bin, ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

function newHome(): string {
  return mkdtempSync(join(work.dir, "home-"));
}

describe("the compiled dash binary", () => {
  test("--version prints the injected version", () => {
    const r = dash(["--version"], newHome());
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+(\+[0-9a-f]+)?$/);
  });

  test("--help lists the commands", () => {
    const r = dash(["--help"], newHome());
    expect(r.code).toBe(0);
    expect(r.out).toContain("migrate");
  });

  test("migrates a new database in an empty folder, ignoring .env, bunfig.toml and package.json there", () => {
    const cwd = join(work.dir, "hostile");
    mkdirSync(cwd, { recursive: true });
    const marker = join(work.dir, "preload-ran");
    writeFileSync(join(cwd, ".env"), "DASH_PORT=not-a-port\nDASH_LOG_LEVEL=shouting\n");
    writeFileSync(
      join(cwd, "preload.ts"),
      `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");\n`,
    );
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(cwd, "package.json"), "{ this is not json");
    const home = newHome();
    const r = dash(["migrate", "--json"], home, cwd);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ applied: ALL, version: LAST });
    expect(existsSync(join(home, "dash.db"))).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  test("status, rollback and up again", () => {
    const home = newHome();
    expect(dash(["migrate"], home).out).toContain("applied 001 initial_schema");
    const status = JSON.parse(dash(["migrate", "--status", "--json"], home).out);
    expect(status.migrations).toMatchObject(ALL.map((version) => ({ version, applied: true, intact: true })));
    expect(dash(["migrate", "--rollback", "0"], home).out).toContain("rolled back 001 initial_schema");
    expect(JSON.parse(dash(["migrate", "--status", "--json"], home).out).migrations[0].applied).toBe(false);
    expect(dash(["migrate"], home).code).toBe(0);
    expect(dash(["migrate", "--rollback", "minus-one"], home).code).toBe(2);
  });

  test("a tampered applied migration stops it with a clear message", () => {
    const home = newHome();
    expect(dash(["migrate"], home).code).toBe(0);
    const db = new Database(join(home, "dash.db"));
    db.run("UPDATE _migrations SET checksum = 'tampered' WHERE version = 1");
    db.close();
    const r = dash(["migrate"], home);
    expect(r.code).toBe(1);
    expect(r.err).toContain("001_initial_schema.sql was changed after it was applied");
    expect(r.err).not.toContain("    at "); // no stack trace for people
  });

  test("two processes migrating the same new database at once both succeed, once", async () => {
    const home = newHome();
    const env = { PATH: process.env.PATH ?? "", DASH_HOME: home };
    const runs = [0, 1].map(() =>
      Bun.spawn([bin, "migrate", "--json"], { cwd: empty, env, stdout: "pipe", stderr: "pipe" }),
    );
    const codes = await Promise.all(runs.map((p) => p.exited));
    expect(codes).toEqual([0, 0]);
    const applied = await Promise.all(
      runs.map(async (p) => JSON.parse(await new Response(p.stdout).text()).applied),
    );
    expect(applied.flat().sort((a: number, b: number) => a - b)).toEqual(ALL);
  });

  test("a bad config value names the key and stops", () => {
    const home = newHome();
    writeFileSync(join(home, "config.yaml"), "limits:\n  maxAgentsPerSwarm: 0\n");
    const r = dash(["migrate"], home);
    expect(r.code).toBe(1);
    expect(r.err).toContain("limits.maxAgentsPerSwarm = 0");
  });

  test("an unknown command is a usage error", () => {
    const r = dash(["frobnicate"], newHome());
    expect(r.code).toBe(2);
    expect(r.err).toContain("Unknown command");
  });
});
