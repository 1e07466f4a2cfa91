import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type App, startApp } from "../../src/api/app.ts";
import type { DemoSummary } from "../../src/cli/demo.ts";
import { main } from "../../src/cli/index.ts";
import { EXIT, runCli } from "../../src/cli/run.ts";
import { DashClient } from "../../src/client/client.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { builtInPresets } from "../../src/runtimes/presets.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import { captureConsole, ROOT, tempHome, until } from "../helpers.ts";

// `dash demo` end to end: against a real server (with its scheduler, demo agents of 1 s) started
// here, and with no server at all, where the demo starts its own in a temp DASH_HOME and removes it.
const served = tempHome("dash-test-served-");
// Its credentials name a URL where nothing listens: `dash demo` must start its own server.
const lonely = tempHome("dash-test-lonely-");
// TMPDIR for the demo's own temp homes: empty again after every run.
const tmp = tempHome("dash-test-tmp-");
let app: App;
let adminKey = "";

beforeAll(async () => {
  const config = loadConfig({ DASH_HOME: served.dir });
  config.runtimes = { demo: { ...builtInPresets().demo, kind: "demo", seconds: 1 } };
  app = await startApp(config, { port: 0, host: "127.0.0.1" }, createLogger("error"));
  adminKey = app.adminKey as string;
  await Bun.write(join(lonely.dir, "credentials"), JSON.stringify({ url: "http://127.0.0.1:1" }));
});
afterAll(async () => {
  await app.stop();
  for (const dir of [served, lonely, tmp]) dir.cleanup();
});

/** The real CLI in a subprocess (async, so the server in this process keeps answering). */
async function dash(args: string[], home: string) {
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "demo", ...args], {
    env: { PATH: process.env.PATH ?? "", DASH_HOME: home, TMPDIR: tmp.dir, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out, err };
}

describe("dash demo as a subprocess", () => {
  test("against a running server: every agent completes with a cost, the summary is JSON", async () => {
    const run = await dash(["--agents", "3", "--json"], served.dir);
    expect([run.code, run.err]).toEqual([0, ""]);
    const summary = JSON.parse(run.out) as DemoSummary;
    expect(summary).toMatchObject({
      demo: true,
      server: { url: app.url.origin, inProcess: false },
      agents: { total: 3, completed: 3, failed: 0, killed: 0 },
      interrupted: false,
    });
    expect(summary.swarm.name).toStartWith("demo-");
    expect(summary.cost.usd).toBeGreaterThan(0);
    const client = new DashClient({ url: app.url.origin, key: adminKey, keySource: "test" });
    const agents = await client.allAgents({ swarmId: summary.swarm.id });
    expect(agents.map((a) => a.status)).toEqual(["completed", "completed", "completed"]);
    for (const agent of agents) expect(agent.cost.amount).toBeGreaterThan(0);
    expect((await client.getSwarm(summary.swarm.id)).budget.spent).toBeGreaterThan(0);
  });

  test("no server: starts its own, says DEMO LOAD, follows the agents live, cleans up", async () => {
    const run = await dash(["--agents", "2", "--seconds", "1"], lonely.dir);
    expect(run.code).toBe(0);
    expect(run.out).toContain("DEMO LOAD: made-up work, no model is called");
    expect(run.out).toContain("temporary in-process server");
    expect(run.out).toMatch(/demo-\w+-1 +#{10} 100% {2}\$0\.\d{4} \(demo\)/);
    expect(run.out).toContain("2/2 completed");
    expect(run.out).toMatch(/cost: +\$0\.\d{4} for [\d,]+ tokens \(demo: simulated\)/);
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  test("no server, --home: the data stays there; every agent completed with a cost", async () => {
    const home = tempHome("dash-test-home-");
    try {
      const run = await dash(["--agents", "2", "--seconds", "0.5", "--json", "--home", home.dir], lonely.dir);
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.out) as DemoSummary;
      expect(summary.server.inProcess).toBe(true);
      const store = SqliteStore.open(join(home.dir, "dash.db"));
      const agents = await store.listAgents({ swarmId: summary.swarm.id });
      store.close();
      expect(agents.map((a) => a.status)).toEqual(["completed", "completed"]);
      for (const agent of agents) expect(agent.costMicros).toBeGreaterThan(0);
    } finally {
      home.cleanup();
    }
  });
});

describe("dash demo in-process", () => {
  let out: string[] = [];
  let err: string[] = [];
  const spies: { mockRestore: () => void }[] = [];
  const saved = { home: process.env.DASH_HOME, tmp: process.env.TMPDIR, url: process.env.DASH_URL };
  beforeEach(() => {
    Object.assign(process.env, { DASH_HOME: lonely.dir, TMPDIR: tmp.dir, NO_COLOR: "1" });
    delete process.env.DASH_URL;
    out = [];
    err = [];
    spies.push(
      ...captureConsole(
        () => out,
        () => err,
      ),
    );
  });
  afterEach(() => {
    for (const s of spies.splice(0)) s.mockRestore();
    process.exitCode = 0;
    for (const [name, value] of [
      ["DASH_HOME", saved.home],
      ["TMPDIR", saved.tmp],
      ["DASH_URL", saved.url],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const server = () => ["--url", app.url.origin, "--key", adminKey];

  test("against a server: progress lines, a demo-labelled summary, a note on --seconds", async () => {
    expect(await runCli(main, ["demo", "--agents", "2", "--seconds", "3", ...server()], "1")).toBe(EXIT.ok);
    const text = out.join("\n");
    expect(text).toContain("DEMO LOAD");
    expect(text).toContain("--seconds applies to an in-process server only");
    expect(text).toMatch(/started/);
    expect(text).toMatch(/#{10} 100%/);
    expect(text).toContain("✓ completed");
    expect(text).toContain("2/2 completed");
    expect(text).toContain("(demo: simulated)");
    expect(text).toContain("Next: dash swarm show");
  });

  test("no server: its own server, JSON summary, temp home removed", async () => {
    expect(await runCli(main, ["demo", "--agents", "2", "--seconds", "0.5", "--json"], "1")).toBe(EXIT.ok);
    const summary = JSON.parse(out.join("")) as DemoSummary;
    expect(summary).toMatchObject({ demo: true, server: { inProcess: true }, agents: { completed: 2 } });
    expect(summary.cost.usd).toBeGreaterThan(0);
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  test("Ctrl-C destroys the demo swarm, stops its server, removes the temp home, exits 130", async () => {
    const running = runCli(main, ["demo", "--agents", "2", "--seconds", "60"], "1");
    await until(() => out.filter((l) => l.includes("started")).length === 2, 20_000);
    process.emit("SIGINT");
    expect(await running).toBe(130);
    const text = out.join("\n");
    expect(text).toContain("Demo interrupted: the demo swarm was destroyed.");
    expect(text).toMatch(/swarm: +demo-\w+ \w+ destroyed/);
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  test("usage errors, a named server that does not answer, a bad key", async () => {
    expect(await runCli(main, ["demo", "--agents", "0"], "1")).toBe(EXIT.usage);
    expect(await runCli(main, ["demo", "--seconds", "5000"], "1")).toBe(EXIT.usage);
    expect(await runCli(main, ["demo", "--url", "http://127.0.0.1:1"], "1")).toBe(EXIT.unreachable);
    const badKey = ["--url", app.url.origin, "--key", "dash_api_key_0000000000000000000000000000000x"];
    expect(await runCli(main, ["demo", ...badKey], "1")).toBe(EXIT.auth);
    expect(err.join("")).toContain("No Dash server answers at http://127.0.0.1:1");
  });

  test("--help describes it", async () => {
    expect(await runCli(main, ["demo", "--help"], "1")).toBe(EXIT.ok);
    const text = out.join("\n");
    expect(text).toContain("DEMO LOAD");
    expect(text).toContain("--agents");
    expect(text).toContain("--seconds");
  });
});
