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
import { detailsName, gridStatus } from "../tests/e2e/tmux.ts";
import {
  api,
  figures,
  idleSwarm,
  launch,
  ms,
  panes,
  poll,
  quit,
  type Row,
  row,
  rss,
  SIZE,
  status,
} from "./dashboard-pane.ts";
import { procStat, TICKS_PER_SECOND } from "./proc.ts";
import { VALUES } from "./record.ts";
import { type BenchServer, withBenchServer } from "./serve.ts";
import { percentile } from "./stats.ts";

const LAUNCHES = 5;
const SAMPLES = 40;
const IDLE_SECONDS = Number(process.env.DASH_BENCH_IDLE_SECONDS ?? 30);
const CONFIG = `limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000, maxAgentsPerSwarm: 1000 }
agents: { maxConcurrency: 0 }
log: { level: warn }
`;

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

/**
 * Waits until the dashboard acts on keys, untimed: the bench measures the key path, not start-up
 * (a key typed before the App listens is held and replayed once it does, src/dashboard/early-keys.ts,
 * and timing it would time the start). `j` then `k`: the selection ends where it began.
 */
async function keysTaken(dash: Awaited<ReturnType<typeof launch>>) {
  for (const key of ["j", "k"]) {
    for (let attempt = 0; ; attempt++) {
      const before = detailsName(dash.pane.capture());
      dash.pane.keys(key);
      try {
        await poll(dash.pane, (s) => detailsName(s) !== before, 1_000);
        break;
      } catch (error) {
        if (attempt >= 4) throw error;
      }
    }
  }
}

/** Key press → the Details panel names the next agent (j), as seen in the pane. */
async function keyLatency(bin: string, server: BenchServer, rows: Row[]) {
  const dash = await launch(bin, server, 50);
  await keysTaken(dash);
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
