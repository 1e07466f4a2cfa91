/**
 * PRD story 1, black box: 3 active swarms with 15 real command agents on the compiled
 * `dash serve`, and the compiled `dash dashboard` in a real terminal (tmux, 160×34: wide enough
 * that the grid keeps its ID column). The grid shows 15 rows with ID, Name, Status, Task, Progress
 * and Cost; a state change made through the API reaches the screen; j/k move; q quits with 0.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shortId } from "../../src/dashboard/model/format.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { tempHome } from "../helpers.ts";
import { apiCaller, compiledDash, type Served, startServe } from "./compiled.ts";
import { detailsName, gridStatus, requireTmux, Tmux } from "./tmux.ts";

// Fails here, loudly, when tmux is missing: a skip would hide a broken CI setup.
requireTmux();

const home = tempHome("dash-story1-");
let bin = "";
let served: Served | undefined;
let key = "";
let session: Tmux | undefined;
const swarmIds: string[] = [];
// Per swarm: its agents report this progress and cost once, then stay RUNNING (sleep).
const SWARMS = [
  { name: "alpha", task: "Index the docs", current: 3, cost: 0.0012 },
  { name: "beta", task: "Review the API", current: 5, cost: 0.0034 },
  { name: "gamma", task: "Port the tests", current: 8, cost: 0.0056 },
] as const;
type Agent = { id: string; name: string; status: string; progress: { current: number } };

const api = apiCaller(
  () => served?.url,
  () => key,
);
const listAgents = async () => (await api<{ agents: Agent[] }>("GET", "/api/agents?limit=100")).agents;
let agents: Agent[] = [];

beforeAll(async () => {
  bin = await compiledDash();
  // This file polls the API while the dashboard also calls it: the default 100/min could bite.
  writeFileSync(join(home.dir, "config.yaml"), "limits:\n  rateLimitPerMinute: 100000\n");
  served = await startServe(bin, home.dir, { DASH_MAX_CONCURRENCY: "20" });
  key = (JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string }).key;
  for (const s of SWARMS) {
    const usage = `{"dash":"usage","promptTokens":10,"completionTokens":2,"costUsd":${s.cost}}`;
    const progress = `{"dash":"progress","current":${s.current},"total":10}`;
    const script = `echo '${usage}'; echo '${progress}'; exec sleep 600`;
    const config = { command: ["sh", "-c", script], maxRetries: 0, timeout: 3_600_000 };
    const body = { name: s.name, task: s.task, initialAgents: 5, config };
    swarmIds.push((await api<{ id: string }>("POST", "/api/swarm", body)).id);
  }
  // Ready when all 15 run and have reported (the last report, progress, is what the grid shows).
  for (let i = 0; i < 600; i++) {
    agents = await listAgents();
    const reported = (a: Agent) => a.status === "running" && a.progress.current > 0;
    if (agents.length === 15 && agents.every(reported)) return;
    await Bun.sleep(100);
  }
  throw new Error("the 15 agents did not all start running and report");
}, 120_000);

afterAll(async () => {
  session?.kill();
  // Agents' shims outlive the server by design: destroy the swarms before stopping it.
  for (const id of swarmIds) await api("DELETE", `/api/swarm/${id}`).catch(() => {});
  for (let i = 0; i < 200; i++) {
    const list = await listAgents().catch(() => []);
    if (list.every((a) => a.status !== "running" && a.status !== "paused")) break;
    await Bun.sleep(50);
  }
  served?.proc.kill("SIGTERM");
  await served?.proc.exited;
  // Last resort, when the server died before it could destroy them: kill what is left of the
  // agents' shim process groups (groupAlive only answers for a shim's group, never 0 or 1).
  const db = new Database(join(home.dir, "dash.db"), { readonly: true });
  const pids = (db.query("SELECT pid FROM agents WHERE pid > 1").all() as { pid: number }[]).map(
    (r) => r.pid,
  );
  db.close();
  for (const pid of pids.filter(groupAlive)) process.kill(-pid, "SIGKILL");
  home.cleanup();
}, 30_000);

const WAIT = 10_000;
const EXITED = /\[dash exited (\d+)\]/;
// A grid row: ID, NAME, STATUS, TASK, PROGRESS (bar and %), COST, then the grid's right border.
const ROW = /^│([0-9a-z]{8}) +([a-z]+-\d+) +([A-Z]+) +(.+?) +([█░]+ +\d+%) +(\$\d+\.\d+)│/;
const rows = (screen: string) =>
  screen
    .split("\n")
    .map((line) => ROW.exec(line))
    .filter((m) => m !== null);

test("the dashboard opens on a grid of 15 rows, each with ID, Name, Status, Task, Progress, Cost", async () => {
  // A shell around dash reports its exit code and keeps the pane open to read it.
  const argv = ["sh", "-c", '"$@"; echo "[dash exited $?]"; exec sleep 3600', "sh", bin, "dashboard"];
  const t0 = performance.now();
  session = Tmux.start(argv, { width: 160, height: 34, env: { DASH_HOME: home.dir }, cwd: home.dir });
  const first = await session.waitFor(
    (s) => s.startsWith("◆ DASH") && rows(s).length > 0,
    15_000,
    "a first grid",
  );
  const firstMs = performance.now() - t0;
  const full = (s: string) => s.includes("● live") && rows(s).filter((r) => r[3] === "RUNNING").length === 15;
  const screen = await session.waitFor(full, 15_000, "15 RUNNING rows");
  // Figures for the reader (the PRD says 2 s); CI's 2 busy cores only get a generous bound.
  console.log(
    `first grid frame ${Math.round(firstMs)} ms, all 15 rows ${Math.round(performance.now() - t0)} ms`,
  );
  expect(firstMs).toBeLessThan(15_000);
  expect(first).toMatch(/│ID +NAME▼? +STATUS▼? +TASK +PROGRESS +COST▼? *│/);

  expect(screen).toMatch(/Agents 15/);
  expect(screen).toMatch(/swarms 3/);
  expect(screen).toMatch(/all \(15\)\s+alpha \(5\)\s+beta \(5\)\s+gamma \(5\)/);
  const shown = rows(screen);
  expect(shown).toHaveLength(15);
  const byName = new Map(agents.map((a) => [a.name, a]));
  for (const [, id, name, status, task, progress, cost] of shown) {
    const agent = byName.get(name ?? "");
    const swarm = SWARMS.find((s) => name?.startsWith(`${s.name}-`));
    expect(agent && swarm).toBeTruthy();
    expect(id).toBe(shortId(agent?.id ?? ""));
    expect(status).toBe("RUNNING");
    expect(task).toBe(swarm?.task);
    expect(progress).toMatch(new RegExp(`^█+░+ +${(swarm?.current ?? 0) * 10}%$`));
    expect(cost).toBe(`$${swarm?.cost.toFixed(4)}`);
  }
  expect(new Set(shown.map((r) => r[2])).size).toBe(15);
}, 60_000);

test("a state change made through the API (pause, resume) appears on screen", async () => {
  const target = agents.find((a) => a.name === "beta-3");
  for (const [verb, status] of [
    ["pause", "PAUSED"],
    ["resume", "RUNNING"],
  ] as const) {
    // From before the request: the latency a user sees, API round trip included.
    const t0 = performance.now();
    await api("POST", `/api/agents/${target?.id}/${verb}`, {});
    await session?.waitFor((s) => gridStatus(s, "beta-3") === status, WAIT, `beta-3 ${status}`);
    // A figure, not an assertion: the PRD's 100 ms is measured properly by bench/dashboard.ts.
    console.log(`API ${verb} → screen shows ${status}: ${Math.round(performance.now() - t0)} ms`);
  }
}, 30_000);

test("j and k move the selection", async () => {
  const s = session as Tmux;
  await s.waitFor((x) => detailsName(x) === "alpha-1", WAIT, "alpha-1 selected");
  s.keys("j");
  await s.waitFor((x) => detailsName(x) === "alpha-2", WAIT, "alpha-2 selected after j");
  s.keys("j");
  await s.waitFor((x) => detailsName(x) === "alpha-3", WAIT, "alpha-3 selected after j");
  s.keys("k");
  await s.waitFor((x) => detailsName(x) === "alpha-2", WAIT, "alpha-2 selected after k");
}, 45_000);

test("q quits with exit code 0", async () => {
  const s = session as Tmux;
  s.keys("q");
  const screen = await s.waitFor((x) => EXITED.test(x), WAIT, "the dashboard to exit");
  expect(EXITED.exec(screen)?.[1]).toBe("0");
  expect(s.display("#{alternate_on}")).toBe("0");
}, 15_000);
