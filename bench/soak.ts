/**
 * `bun run soak [--minutes 60] [--every 60]`: the PRD's "no leaks after 1 hour". The real
 * `dash serve` and `dash dashboard` (from source; the dashboard in tmux at a fixed size, attached
 * the whole time) run under a steady, light load (bench/soak-load.ts). Every interval records both
 * processes' resident memory and open file descriptors; after a warm-up, growth beyond a bound
 * fails the run (exit 1), and so does any error (a 5xx, a dropped event stream, a failed agent,
 * the dashboard not live). Writes the soak section of bench/RESULTS.md. Linux (/proc) and tmux.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Tmux } from "../tests/e2e/tmux.ts";
import { kB, procStat, readProc } from "./proc.ts";
import { machineLine, table, writeSection } from "./results.ts";
import { withBenchServer } from "./serve.ts";
import { killShims, SoakLoad, shimsOf } from "./soak-load.ts";
import { type Judgement, judge, type Sample } from "./soak-verdict.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");
const SIZE = { width: 120, height: 40 };
// Limits raised so the load is never answered 429; warn logs so stderr shows only trouble.
const CONFIG = `limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }
agents: { maxConcurrency: 50, killGraceMs: 2000 }
log: { level: warn }
`;

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "60" },
    every: { type: "string", default: "60" },
    "rss-pct": { type: "string", default: "25" },
    "rss-mib": { type: "string", default: "32" },
    "fd-slack": { type: "string", default: "16" },
    "swarm-every": { type: "string", default: "10" },
    agents: { type: "string", default: "4" },
    rps: { type: "string", default: "4" },
    "no-write": { type: "boolean", default: false },
  },
});
const usage = (message: string): never => {
  console.error(`soak: ${message}
usage: bun run soak [--minutes 60] [--every 60] [--rss-pct 25] [--rss-mib 32] [--fd-slack 16]
                    [--swarm-every 10] [--agents 4] [--rps 4] [--no-write]`);
  process.exit(2);
};
const num = (name: keyof typeof values, min: number): number => {
  const value = Number(values[name]);
  return Number.isFinite(value) && value >= min ? value : usage(`--${name} must be a number ≥ ${min}`);
};
const opts = {
  minutes: num("minutes", 0.01),
  every: num("every", 1),
  rssPct: num("rss-pct", 0),
  rssMib: num("rss-mib", 0),
  fdSlack: num("fd-slack", 0),
  swarmEvery: num("swarm-every", 2),
  agents: Math.round(num("agents", 1)),
  rps: num("rps", 0.1),
};
const SAMPLES = Math.floor((opts.minutes * 60) / opts.every) + 1;
// The verdict compares the warm-up (at least 2 samples) with the last third (at least 1).
if (SAMPLES < 4) usage(`${SAMPLES} samples are too few to judge: run longer or sample more often (--every)`);
if (!existsSync("/proc/self/status")) usage("needs Linux /proc");
if (!Bun.which("tmux")) usage("needs tmux");

const fdCount = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
};
const children = (ppid: number) =>
  readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e) && procStat(Number(e))?.ppid === ppid)
    .map(Number);

/** tmux execs the pane's command, but a wrapper (a shell, `bun run`) would put it a level down. */
function dashboardPid(panePid: number): number {
  const queue = [panePid];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (readProc(`/proc/${pid}/cmdline`).split("\0").includes("dashboard")) return pid;
    queue.push(...children(pid));
  }
  throw new Error(`no dashboard process under tmux pane ${panePid}`);
}

/** The server's DASH_HOME (bench/serve.ts makes a temp one): the dashboard and shims are found by it. */
function homeOf(pid: number): string {
  const entry = readProc(`/proc/${pid}/environ`)
    .split("\0")
    .find((e) => e.startsWith("DASH_HOME="));
  if (!entry) throw new Error(`no DASH_HOME in the environment of server ${pid}`);
  return entry.slice("DASH_HOME=".length);
}

const mib = (kb: number) => (kb / 1024).toFixed(1);
const clock = (seconds: number) =>
  `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, "0")}`;
const HEADERS = [
  "t",
  "server MiB",
  "fds",
  "dashboard MiB",
  "fds",
  "shims",
  "agents done",
  "requests",
  "events",
  "errors",
];
const cells = (s: Sample) => [
  clock(s.seconds),
  mib(s.server.rssKb),
  s.server.fds,
  mib(s.dashboard.rssKb),
  s.dashboard.fds,
  s.shims,
  s.completed,
  s.requests,
  s.events,
  s.errors,
];
const WIDTHS = [6, 11, 5, 14, 5, 6, 12, 9, 7, 7];
const line = (row: (string | number)[]) => row.map((c, i) => String(c).padStart(WIDTHS[i] ?? 8)).join(" ");

async function soak(): Promise<{ samples: Sample[]; load: SoakLoad; verdict: Judgement[] }> {
  let result: { samples: Sample[]; load: SoakLoad; verdict: Judgement[] } | undefined;
  let onInterrupt = () => {};
  // Registered before withBenchServer's handler (which kills the server and exits), so the agents'
  // shims, which outlive the server by design, and the tmux session go first.
  const interrupted = () => onInterrupt();
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    await withBenchServer(CONFIG, async (server) => {
      const home = homeOf(server.pid);
      const load = new SoakLoad(server, home, {
        swarmEverySeconds: opts.swarmEvery,
        agentsPerSwarm: opts.agents,
        requestsPerSecond: opts.rps,
      });
      // React's production build, as in the binary (build.ts): the development one leaks per render.
      const env = { DASH_HOME: home, NODE_ENV: "production" };
      const pane = Tmux.start([process.execPath, MAIN, "dashboard"], { ...SIZE, env });
      onInterrupt = () => {
        pane.kill();
        killShims(home);
      };
      try {
        await pane.waitForText("● live", 30_000);
        const dashboard = dashboardPid(Number(pane.display("#{pane_pid}")));
        load.start();
        // Samples then land while the latest swarm's agents run (a swarm starts every interval).
        await Bun.sleep(2500);
        console.log(`soak: ${opts.minutes} min, a sample every ${opts.every} s (${SAMPLES} samples)`);
        console.log(line(HEADERS));
        const samples: Sample[] = [];
        const t0 = performance.now();
        for (let i = 0; i < SAMPLES; i++) {
          await Bun.sleep(Math.max(0, t0 + i * opts.every * 1000 - performance.now()));
          const screen = pane.capture();
          if (!screen.split("\n")[0]?.includes("● live")) load.error("dashboard not live at a sample");
          const c = load.counts;
          const sample: Sample = {
            seconds: (performance.now() - t0) / 1000,
            server: { rssKb: kB(`/proc/${server.pid}/status`, "VmRSS"), fds: fdCount(server.pid) },
            dashboard: { rssKb: kB(`/proc/${dashboard}/status`, "VmRSS"), fds: fdCount(dashboard) },
            shims: shimsOf(home).length,
            completed: c.agentsCompleted,
            requests: c.requests,
            events: c.events,
            errors: [...c.errors.values()].reduce((a, b) => a + b, 0),
          };
          if (Number.isNaN(sample.dashboard.rssKb)) load.error("dashboard exited");
          samples.push(sample);
          console.log(line(cells(sample)));
        }
        await load.stop();
        result = { samples, load, verdict: judge(samples, opts) };
      } finally {
        pane.kill();
        killShims(home);
      }
    });
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  }
  if (!result) throw new Error("the soak ended without a result");
  return result;
}

/** At most ~30 rows: the first, the last and evenly spaced ones between. */
function decimate<T>(rows: T[], max = 30): T[] {
  if (rows.length <= max) return rows;
  const step = (rows.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => rows[Math.round(i * step)] as T);
}

const { samples, load, verdict } = await soak();
const c = load.counts;
const errors = [...c.errors].map(([kind, n]) => `${n} × ${kind}`);
const grew = verdict.filter((j) => !j.ok);
const pass = grew.length === 0 && errors.length === 0;
const verdictRows = verdict.map((j) => [
  j.process,
  j.measure,
  j.baseline,
  j.end,
  j.growth,
  j.fitted,
  j.bound,
  j.ok ? "ok" : "GREW",
]);
const verdictHeaders = [
  "process",
  "measure",
  "warm-up peak",
  "end (median of last third)",
  "end − peak",
  "rise of the fit after warm-up",
  "bound",
  "ok",
];
const work = `${c.swarmsCreated} swarms created and ${c.swarmsDestroyed} destroyed, ${c.agentsCompleted} agents completed (${c.agentsFailed} failed), ${c.requests} HTTP requests (${c.conflicts} answered 409: a usage report that raced its agent's end), ${c.events} events received on /events`;
const summary = pass
  ? "**PASS**: no growth beyond the bounds, no errors."
  : `**FAIL**: ${[...grew.map((j) => `${j.process} ${j.measure} grew ${j.growth}, fitted ${j.fitted} (bound ${j.bound})`), ...errors].join("; ")}.`;
console.log(`\nwork: ${work}`);
console.log(`errors: ${errors.length ? errors.join(", ") : "none"}`);
console.table(verdictRows.map((row) => Object.fromEntries(verdictHeaders.map((h, k) => [h, row[k]]))));
console.log(summary.replaceAll("**", ""));

if (!values["no-write"]) {
  const every = decimate(samples);
  writeSection(
    "soak",
    `${machineLine()}

${opts.minutes} min, a sample every ${opts.every} s (${SAMPLES} samples). \`dash serve\` and \`dash dashboard\` from source, the dashboard in tmux ${SIZE.width}×${SIZE.height} attached throughout. Load: a swarm of ${opts.agents} command agents every ${opts.swarmEvery} s (half at creation, scaled up a second later; each prints usage and progress lines for ~4 s, then completes; finished swarms destroyed), ~${opts.rps} API requests/s (agent and swarm lists, budgets, health, HTTP usage reports for running agents), one WebSocket client on /events.

Work done: ${work}. Errors: ${errors.length ? errors.join(", ") : "none"}.

${summary} Bounds (bench/soak-verdict.ts says why): the median of the last third of the samples, and the line fitted through the samples after the warm-up (the first third), may each rise above the warm-up's peak by at most max(${opts.rssPct} %, ${opts.rssMib} MiB) of RSS and ${opts.fdSlack} open fds.

${table(verdictHeaders, verdictRows)}

Samples${every.length < samples.length ? ` (${every.length} of ${samples.length})` : ""}:

${table(HEADERS, every.map(cells))}`,
  );
}
process.exitCode = pass ? 0 : 1;
