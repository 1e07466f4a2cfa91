/**
 * `dash dashboard`, black box: the compiled binary in a real terminal (tmux) against the compiled
 * `dash serve` with real command agents. Keys go in with send-keys, the screen is read back with
 * capture-pane, and every effect is checked on the screen and, for a kill, on the server too.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempHome } from "../helpers.ts";
import { apiCaller, compiledDash, runDash, type Served, startServe } from "./compiled.ts";
import { detailsName, gridStatus, requireTmux, Tmux } from "./tmux.ts";

// Fails here, loudly, when tmux is missing: CI installs it, so a skip would hide a broken setup.
requireTmux();

const home = tempHome("dash-dashboard-");
const sessions: Tmux[] = [];
let bin = "";
let served: Served | undefined;
let key = "";
const agents = new Map<string, string>(); // name → id
const swarmIds: string[] = [];

const api = apiCaller(
  () => served?.url,
  () => key,
);
type AgentList = { agents: { id: string; name: string; status: string }[] };

beforeAll(async () => {
  bin = await compiledDash();
  served = await startServe(bin, home.dir);
  key = (JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string }).key;
  // `sleep` agents stay RUNNING for the whole file; the swarms are destroyed in afterAll.
  const config = { command: ["sleep", "600"], maxRetries: 0, timeout: 3_600_000 };
  for (const [name, n] of [
    ["db", 2],
    ["web", 4],
  ] as const) {
    const body = { name, task: "sleep", initialAgents: n, config };
    swarmIds.push((await api<{ id: string }>("POST", "/api/swarm", body)).id);
  }
  for (let i = 0; i < 400; i++) {
    const list = await api<AgentList>("GET", "/api/agents?limit=100");
    for (const a of list.agents) agents.set(a.name, a.id);
    if (list.agents.length === 6 && list.agents.every((a) => a.status === "running")) return;
    await Bun.sleep(50);
  }
  throw new Error("the 6 agents did not all start running");
}, 120_000);

afterAll(async () => {
  for (const s of sessions) s.kill();
  // Agents' shims outlive the server by design: destroy the swarms before stopping it.
  for (const id of swarmIds) await api("DELETE", `/api/swarm/${id}`).catch(() => {});
  for (let i = 0; i < 200; i++) {
    const list = await api<AgentList>("GET", "/api/agents?limit=100").catch(() => ({ agents: [] }));
    if (list.agents.every((a) => a.status !== "running" && a.status !== "paused")) break;
    await Bun.sleep(50);
  }
  served?.proc.kill("SIGTERM");
  await served?.proc.exited;
  home.cleanup();
}, 30_000);

/** Generous: CI runs this on 2 busy cores; a pass takes milliseconds. */
const WAIT = 10_000;
const EXITED = /\[dash exited (\d+)\]/;
/** The dashboard under a shell that reports its exit code and keeps the pane alive afterwards. */
function dashboard(width: number, height: number, env: Record<string, string> = {}): Tmux {
  const wrapper = '"$@"; echo "[dash exited $?]"; exec sleep 3600';
  const argv = ["sh", "-c", wrapper, "sh", bin, "dashboard"];
  const session = Tmux.start(argv, { width, height, env: { DASH_HOME: home.dir, ...env }, cwd: home.dir });
  sessions.push(session);
  return session;
}

const everyRunning = (screen: string) => [...agents.keys()].every((n) => gridStatus(screen, n) === "RUNNING");
const agentNamed = (name: string) => agents.get(name) ?? "";

let wide: Tmux;
test("120×34: the header is live and the grid shows every agent with its status", async () => {
  wide = dashboard(120, 34);
  // The budget total comes from the REST snapshot, not from events: waiting for it means the
  // snapshot is on screen (the first frame can still show a view built from replayed events).
  const ready = (s: string) => s.includes("● live") && everyRunning(s) && s.includes("Total: $0.00 / $20.00");
  const screen = await wide.waitFor(ready, 15_000, "all RUNNING and the budgets");
  expect(screen.startsWith("◆ DASH")).toBe(true);
  expect(screen).toMatch(/swarm \[ \]\s+all \(6\)/);
  expect(screen).toContain("db (2)");
  expect(screen).toContain("web (4)");
  expect(screen).toMatch(/Agents 6/);
  for (const column of ["NAME", "STATUS", "TASK", "PROGRESS", "COST"]) expect(screen).toContain(column);
  expect(screen).toMatch(/Details/);
  expect(screen).toMatch(/Events \d+/);
  expect(screen).toContain("[1 grid] sort:name");
  expect(wide.display("#{alternate_on}")).toBe("1");
});

test("a state change made through the API (pause, resume) appears in the pane", async () => {
  for (const [path, status] of [
    ["pause", "PAUSED"],
    ["resume", "RUNNING"],
  ] as const) {
    await api("POST", `/api/agents/${agentNamed("web-2")}/${path}`, {});
    const t0 = performance.now();
    await wide.waitFor((s) => gridStatus(s, "web-2") === status, WAIT, `web-2 ${status}`);
    // A figure for the reader, not an assertion: bench/dashboard.ts measures it properly.
    console.log(`API ${path} → pane shows ${status}: ${Math.round(performance.now() - t0)} ms`);
  }
});

test("j and k move the selection shown in Details", async () => {
  await wide.waitFor((s) => detailsName(s) === "db-1", WAIT, "db-1 selected");
  wide.keys("j");
  await wide.waitFor((s) => detailsName(s) === "db-2", WAIT, "db-2 selected after j");
  wide.keys("j");
  await wide.waitFor((s) => detailsName(s) === "web-1", WAIT, "web-1 selected after j");
  wide.keys("k");
  await wide.waitFor((s) => detailsName(s) === "db-2", WAIT, "db-2 selected after k");
});

test("/ searches the events: typed in the status bar, Enter shows the matches", async () => {
  wide.keys("/");
  await wide.waitFor((s) => /^\/█/m.test(s), WAIT, "the search prompt");
  wide.type("started");
  await wide.waitForText("/started█");
  wide.keys("Enter");
  const screen = await wide.waitFor((s) => /\/started \d+ match/.test(s), WAIT, "the match count");
  expect(Number(/\/started (\d+) match/.exec(screen)?.[1])).toBeGreaterThan(0);
});

test("? shows the help overlay and Esc hides it", async () => {
  wide.keys("?");
  await wide.waitForText("Keys (? or Esc closes)");
  // Escape alone: the dashboard waits briefly to tell it from Alt+key, so nothing follows it here.
  wide.keys("Escape");
  await wide.waitFor((s) => !s.includes("Keys (? or Esc closes)"), WAIT, "the help to close");
});

test("4 shows the settings: the binary runs React's production build (its development build leaks)", async () => {
  wide.keys("4");
  await wide.waitFor((s) => /React build\s+production/.test(s), WAIT, "the settings view");
  wide.keys("1");
  await wide.waitFor((s) => !s.includes("React build"), WAIT, "the grid view again");
});

test("x then y kills the selected agent: KILLED on screen and on the server", async () => {
  wide.keys("G"); // the last row: web-4
  await wide.waitFor((s) => detailsName(s) === "web-4", WAIT, "web-4 selected");
  wide.keys("x");
  await wide.waitFor((s) => s.includes("Confirm") && s.includes("Kill agent web-4?"), WAIT, "the dialog");
  wide.keys("y");
  await wide.waitFor((s) => gridStatus(s, "web-4") === "KILLED", WAIT, "web-4 KILLED");
  expect((await api<{ status: string }>("GET", `/api/agents/${agentNamed("web-4")}`)).status).toBe("killed");
  expect(gridStatus(wide.capture(), "web-3")).toBe("RUNNING");
});

test("q quits with exit code 0 and restores the terminal (main screen, cursor visible)", async () => {
  wide.keys("q");
  const screen = await wide.waitFor((s) => EXITED.test(s), WAIT, "the dashboard to exit");
  expect(EXITED.exec(screen)?.[1]).toBe("0");
  expect(wide.display("#{alternate_on}")).toBe("0");
  expect(wide.display("#{cursor_flag}")).toBe("1");
});

test("80×24: the stacked layout still shows the grid with every agent, and SIGTERM restores the terminal", async () => {
  const small = dashboard(80, 24);
  // Every agent as the server has it: a first frame may still show one spawning (seen on CI).
  const running = ["db-1", "db-2", "web-1", "web-2", "web-3"];
  const screen = await small.waitFor(
    (s) =>
      s.includes("● live") &&
      gridStatus(s, "web-4") === "KILLED" &&
      running.every((name) => gridStatus(s, name) === "RUNNING"),
    15_000,
    "the grid at 80×24",
  );
  for (const name of running) expect(gridStatus(screen, name)).toBe("RUNNING");
  for (const column of ["ID", "NAME", "STATUS", "COST"]) expect(screen).toContain(column);
  small.keys("?"); // keys work at this size too
  await small.waitForText("Keys (? or Esc closes)");

  const shell = Number(small.display("#{pane_pid}"));
  const pid = Number(readFileSync(`/proc/${shell}/task/${shell}/children`, "utf8").trim().split(" ")[0]);
  expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("dashboard");
  process.kill(pid, "SIGTERM");
  const after = await small.waitFor((s) => EXITED.test(s), WAIT, "the dashboard to exit on SIGTERM");
  expect(EXITED.exec(after)?.[1]).toBe("0");
  expect(small.display("#{alternate_on}")).toBe("0");
  expect(small.display("#{cursor_flag}")).toBe("1");
});

test("no server answering: a plain message naming `dash serve` and `dash demo`, exit code 4", async () => {
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const url = `http://127.0.0.1:${closed.port}`;
  await closed.stop(true); // a port nothing listens on any more
  // Wide enough that the message is not wrapped across rows.
  const session = dashboard(220, 20, { DASH_URL: url, DASH_HOME: join(home.dir, "nowhere") });
  const screen = await session.waitFor((s) => EXITED.test(s), 15_000, "the dashboard to give up");
  expect(screen).toContain("dash serve");
  expect(screen).toContain("dash demo");
  expect(EXITED.exec(screen)?.[1]).toBe("4"); // EXIT.unreachable
  expect(session.display("#{alternate_on}")).toBe("0");
});

test("not a terminal: a usage error pointing scripts at `dash events --follow`", () => {
  const run = runDash(bin, home.dir, ["dashboard"]);
  expect(run.code).toBe(2);
  expect(run.err).toContain("needs a terminal");
  expect(run.err).toContain("dash events --follow");
});
