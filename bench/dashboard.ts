/**
 * `dash dashboard` as an operator meets it (PRD §4.1 targets): the compiled binary in a real
 * terminal (tmux) against a real `dash serve`. Time to the first frame, API change → pane latency,
 * memory at 100 and 1,000 agents, idle CPU. Agents stay idle (maxConcurrency 0): the dashboard's
 * cost is what is measured, and nothing is left running. Linux (/proc) and tmux only.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary, hostTarget } from "../build.ts";
import { detailsName, gridStatus, Tmux } from "../tests/e2e/tmux.ts";
import { kB, mib, procStat, TICKS_PER_SECOND } from "./proc.ts";
import { VALUES } from "./record.ts";
import { type BenchServer, withBenchServer } from "./serve.ts";
import { percentile } from "./stats.ts";

// 160×70 gives the grid 56 rows: all 50 agents of the latency run are on screen.
const SIZE = { width: 160, height: 70 };
const LAUNCHES = 5;
const SAMPLES = 40;
const IDLE_SECONDS = Number(process.env.DASH_BENCH_IDLE_SECONDS ?? 30);
const CONFIG = `limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000, maxAgentsPerSwarm: 1000 }
agents: { maxConcurrency: 0 }
log: { level: warn }
`;
const status = (pid: number, field: string) => kB(`/proc/${pid}/status`, field);
const ms = (v: number) => `${v.toFixed(1)} ms`;

/** Polls the pane as fast as tmux answers (no sleep): the figure's resolution is one capture. */
async function poll(pane: Tmux, done: (screen: string) => boolean, timeoutMs = 30_000): Promise<number> {
  const t0 = performance.now();
  while (!done(pane.capture())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`pane: timed out\n${pane.capture()}`);
    await Bun.sleep(0);
  }
  return performance.now();
}

/** Every pane still open, so a bench that fails midway leaves no dashboard behind. */
const panes = new Set<Tmux>();

type Launched = { pane: Tmux; pid: number; paintMs: number; filledMs: number };

/** Spawns the dashboard; "filled" = the Agents panel counts all `agents` and a row is drawn. */
async function launch(bin: string, server: BenchServer, agents: number): Promise<Launched> {
  const env = { DASH_URL: server.url, DASH_API_KEY: server.key };
  const t0 = performance.now();
  const pane = Tmux.start([bin, "dashboard"], { ...SIZE, env });
  panes.add(pane);
  const pid = Number(pane.display("#{pane_pid}"));
  const paintMs = (await poll(pane, (s) => s.startsWith("◆ DASH"))) - t0;
  const filled = (s: string) => s.includes(`Agents ${agents} `) && /^│\S.*(IDLE|KILLED)/m.test(s);
  return { pane, pid, paintMs, filledMs: (await poll(pane, filled)) - t0 };
}

async function quit({ pane, pid }: Launched) {
  pane.keys("q");
  for (let i = 0; i < 500 && (procStat(pid)?.state ?? "Z") !== "Z"; i++) await Bun.sleep(20);
  pane.kill();
  panes.delete(pane);
}

function api({ url, key }: BenchServer) {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
}

/** A swarm of `n` idle agents named `<name>-1`…; returns name → id. */
async function idleSwarm(server: BenchServer, name: string, n: number) {
  const call = api(server);
  const swarm = await call<{ id: string }>("POST", "/api/swarm", {
    name,
    task: "wait",
    inputs: Array.from({ length: n }, (_, i) => i),
    config: { command: ["true"], maxRetries: 0 },
  });
  const ids = new Map<string, string>();
  for (let cursor = ""; ; ) {
    const page = await call<{ agents: { id: string; name: string }[]; nextCursor: string | null }>(
      "GET",
      `/api/agents?swarmId=${swarm.id}&limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    for (const a of page.agents) ids.set(a.name, a.id);
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
}

const row = (figure: string, value: string, target: string) => ({ figure, value, "PRD target": target });

type Row = ReturnType<typeof row>;
const rss = (pid: number) => `${mib(status(pid, "VmRSS"))} (peak ${mib(status(pid, "VmHWM"))})`;
/** "p50 … · p95 …" of latencies; percentile 100 is printed as max. */
const figures = (values: number[], ps: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return ps.map((p) => `${p === 100 ? "max" : `p${p}`} ${ms(percentile(sorted, p))}`).join(" · ");
};

/** A fresh process each time, 50 agents. */
async function firstFrame(bin: string, server: BenchServer, rows: Row[]) {
  const paint: number[] = [];
  const filled: number[] = [];
  for (let i = 0; i < LAUNCHES; i++) {
    const launched = await launch(bin, server, 50);
    paint.push(launched.paintMs);
    filled.push(launched.filledMs);
    await quit(launched);
  }
  rows.push(row(`spawn → first paint (×${LAUNCHES}, incl. tmux start)`, figures(paint, [50, 100]), "—"));
  rows.push(row("spawn → grid filled, 50 agents", figures(filled, [50, 100]), "< 1 s (aim 300 ms)"));
  VALUES.set("dashboard first frame max", Math.max(...filled));
}

/**
 * API change → pane: kill an agent, time to its row saying KILLED, from the request and from the
 * answer (the server publishes the event before it answers). Gaps of 0-100 ms land half the
 * changes inside the dashboard's 50 ms batch window after the previous one, as a busy stream does.
 */
async function latency(bin: string, server: BenchServer, agents: Map<string, string>, rows: Row[]) {
  const dash = await launch(bin, server, 50);
  const fromSend: number[] = [];
  const fromAnswer: number[] = [];
  const captures: number[] = [];
  for (const [name, id] of [...agents].slice(0, SAMPLES)) {
    await Bun.sleep(Math.random() * 100);
    const sent = performance.now();
    await api(server)("DELETE", `/api/agents/${id}`);
    const answered = performance.now();
    const shown = await poll(dash.pane, (s) => gridStatus(s, name) === "KILLED", 10_000);
    fromSend.push(shown - sent);
    fromAnswer.push(shown - answered);
    const c0 = performance.now();
    dash.pane.capture();
    captures.push(performance.now() - c0);
  }
  await quit(dash);
  const title = `API kill answered → row shows KILLED (×${SAMPLES}, 50 agents)`;
  rows.push(row(title, figures(fromAnswer, [50, 95, 99]), "< 100 ms"));
  rows.push(row("API kill sent → row shows KILLED", figures(fromSend, [50, 95, 99]), "< 100 ms"));
  VALUES.set(
    "dashboard change p95",
    percentile(
      [...fromSend].sort((a, b) => a - b),
      95,
    ),
  );
  const meanCapture = captures.reduce((a, b) => a + b) / captures.length;
  rows.push(row("  resolution: one capture-pane (mean)", ms(meanCapture), "—"));
}

/** Key press → the Details panel names the next agent (j), as seen in the pane. */
async function keyLatency(bin: string, server: BenchServer, rows: Row[]) {
  const dash = await launch(bin, server, 50);
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const before = detailsName(dash.pane.capture());
    const sent = performance.now();
    dash.pane.keys(i % 10 < 5 ? "j" : "k");
    times.push((await poll(dash.pane, (s) => detailsName(s) !== before, 5_000)) - sent);
  }
  await quit(dash);
  rows.push(
    row(`key j/k → Details shows the next agent (×${SAMPLES})`, figures(times, [50, 95, 99]), "< 16 ms"),
  );
  VALUES.set(
    "dashboard key p95",
    percentile(
      [...times].sort((a, b) => a - b),
      95,
    ),
  );
}

async function run(bin: string, server: BenchServer) {
  const rows: Row[] = [];
  const first = await idleSwarm(server, "lat", 50);
  await firstFrame(bin, server, rows);
  await latency(bin, server, first, rows);
  await keyLatency(bin, server, rows);

  // Memory and idle CPU at 100 agents; nothing changes on the server meanwhile.
  await idleSwarm(server, "more", 50);
  const hundred = await launch(bin, server, 100);
  await Bun.sleep(2_000); // start-up garbage and the log tail's first reads settle
  rows.push(row("RSS, 100 agents", rss(hundred.pid), "< 200 MB"));
  VALUES.set("dashboard RSS 100 agents", status(hundred.pid, "VmRSS") / 1024);
  const before = procStat(hundred.pid)?.ticks ?? 0;
  await Bun.sleep(IDLE_SECONDS * 1000);
  const cpu = (((procStat(hundred.pid)?.ticks ?? 0) - before) / TICKS_PER_SECOND / IDLE_SECONDS) * 100;
  const idle = `${cpu.toFixed(2)} % of a core`;
  rows.push(row(`idle CPU over ${IDLE_SECONDS} s, 100 agents`, idle, "< 10 % (aim 1 %)"));
  VALUES.set("dashboard idle CPU", cpu);
  await quit(hundred);

  await idleSwarm(server, "big", 900);
  const thousand = await launch(bin, server, 1000);
  rows.push(row("spawn → grid filled, 1,000 agents", ms(thousand.filledMs), "—"));
  await Bun.sleep(2_000);
  rows.push(row("RSS, 1,000 agents", rss(thousand.pid), "aim 120 MB"));
  await quit(thousand);
  return rows;
}

export async function benchDashboard(): Promise<void> {
  if (!existsSync("/proc/self/status")) return console.log("\ndashboard: skipped, needs Linux /proc");
  if (!Bun.which("tmux")) return console.log("\ndashboard: skipped, needs tmux");
  const dir = mkdtempSync(join(tmpdir(), "dash-bench-bin-"));
  try {
    const bin = join(dir, "dash");
    await buildBinary(hostTarget(), bin);
    await withBenchServer(CONFIG, async (server) => {
      const rows = await run(bin, server);
      console.log(`\ndashboard: compiled \`dash dashboard\` in tmux ${SIZE.width}×${SIZE.height}`);
      console.table(rows);
    });
  } finally {
    for (const pane of panes) pane.kill();
    panes.clear();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchDashboard();
