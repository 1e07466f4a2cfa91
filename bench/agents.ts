/**
 * Real agents under a real `dash serve` (DESIGN.md §4): how fast command agents start, and what
 * supervising a running one costs (server memory and CPU, plus its `dash __shim` process).
 * Linux only, since the figures come from /proc. Every process it starts is gone when it ends.
 */
import { existsSync, readdirSync } from "node:fs";
import { signalGroup } from "../src/runtimes/process.ts";
import { kB, mib, procStat, readProc, TICKS_PER_SECOND } from "./proc.ts";
import { VALUES } from "./record.ts";
import { type BenchServer, withBenchServer } from "./serve.ts";
import { printSummaries, summarize } from "./stats.ts";

const STARTS = 200;
const RUNNING = 50;
const CPU_WINDOW_MS = 5_000;
/** Long enough to outlast the bench: agents end only when the bench destroys their swarm. */
const AGENT = { command: ["sleep", "600"], maxRetries: 0, timeout: 3_600_000 };
const CONFIG = `limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }
agents: { maxConcurrency: 250, killGraceMs: 2000 }
log: { level: warn }
`;
/** A zombie counts as gone: where PID 1 does not reap orphans it can stay for good. */
const alive = (pid: number) => (procStat(pid)?.state ?? "Z") !== "Z";
const childrenOf = (ppid: number) =>
  readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e) && procStat(Number(e))?.ppid === ppid)
    .map(Number);
/** Shims are detached (own session) but stay children of the server that spawned them. */
const shimsOf = (server: BenchServer) =>
  childrenOf(server.pid).filter((pid) => readProc(`/proc/${pid}/cmdline`).includes("__shim"));
const cpuTicks = (pids: number[]) => pids.reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function until(what: string, done: () => boolean, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

function api({ url, key }: BenchServer) {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
}

/**
 * Creates swarms holding `n` sleeping agents (at most 100 per swarm, the API's cap) and waits for
 * the event stream to say `agent.started` for each: no polling load on the server meanwhile.
 * Latency per agent: from sending the POSTs to its `agent.started` commit (same machine, same clock).
 */
async function startAgents(server: BenchServer, n: number, config: object = AGENT) {
  const events = `${server.url.replace("http", "ws")}/events?token=${server.key}&filter=agent.started`;
  const ws = new WebSocket(events);
  const startedAt: number[] = [];
  let allStarted = () => {};
  const started = new Promise<void>((resolve) => {
    allStarted = resolve;
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("error", () => reject(new Error("WebSocket error")));
    ws.addEventListener("message", (m) => {
      const message = JSON.parse(String(m.data)) as { op?: string; timestamp?: string };
      if (message.op === "ready") resolve();
      else if (!message.op && startedAt.push(Date.parse(message.timestamp ?? "")) === n) allStarted();
    });
  });
  const serverTicks = cpuTicks([server.pid]);
  const [sentAt, t0] = [Date.now(), performance.now()];
  const sizes = Array.from({ length: Math.ceil(n / 100) }, (_, i) => Math.min(100, n - i * 100));
  let slowestPostMs = 0;
  const swarms = await Promise.all(
    sizes.map(async (size, i) => {
      const body = { name: `bench-${n}-${i}`, task: "sleep", initialAgents: size, config };
      const swarm = await api(server)<{ id: string }>("POST", "/api/swarm", body);
      slowestPostMs = Math.max(slowestPostMs, performance.now() - t0);
      return swarm;
    }),
  );
  await started;
  const runningMs = performance.now() - t0;
  ws.close();
  // `running` is recorded once the shim is spawned; the agent's own process comes a bit later.
  let agentPids: number[] = [];
  await until("agent processes", () => {
    agentPids = shimsOf(server).flatMap(childrenOf);
    return agentPids.length === n;
  });
  return {
    swarmIds: swarms.map((s) => s.id),
    latencies: startedAt.map((at) => at - sentAt),
    runningMs,
    upMs: performance.now() - t0,
    slowestPostMs,
    serverCpuMs: ((cpuTicks([server.pid]) - serverTicks) / TICKS_PER_SECOND) * 1000,
    shimCpuMs: (cpuTicks(shimsOf(server)) / TICKS_PER_SECOND) * 1000,
    agentPids,
  };
}

/** Destroys the swarms and waits until every shim and agent process is gone. */
async function destroy(server: BenchServer, swarmIds: string[]) {
  const shims = shimsOf(server);
  const pids = [...shims, ...shims.flatMap(childrenOf)];
  const t0 = performance.now();
  for (const id of swarmIds) await api(server)("DELETE", `/api/swarm/${id}`);
  await until("agents to exit", () => !pids.some(alive));
  return performance.now() - t0;
}

/** CPU time of each group of pids over the same window, as % of one core. */
async function cpuPercent<K extends string>(groups: Record<K, number[]>): Promise<Record<K, number>> {
  const entries = Object.entries(groups) as [K, number[]][];
  const before = entries.map(([, pids]) => cpuTicks(pids));
  await Bun.sleep(CPU_WINDOW_MS);
  const percent = (pids: number[], i: number) =>
    ((cpuTicks(pids) - (before[i] as number)) / TICKS_PER_SECOND / (CPU_WINDOW_MS / 1000)) * 100;
  return Object.fromEntries(entries.map(([name, pids], i) => [name, percent(pids, i)])) as Record<K, number>;
}

async function supervisorCost(server: BenchServer) {
  const rss = () => kB(`/proc/${server.pid}/status`, "VmRSS");
  // A few agents first, so code paths loaded once (not per agent) are already in the baseline.
  const warm = await startAgents(server, 5);
  await destroy(server, warm.swarmIds);
  await Bun.sleep(1_000); // the server's own clean-up of those runs is not idle time
  const idleRss = rss();
  const idle = await cpuPercent({ server: [server.pid] });
  const run = await startAgents(server, RUNNING);
  const shims = shimsOf(server);
  await Bun.sleep(1_000); // let start-up garbage settle before reading memory
  const busyRss = rss();
  const cpu = await cpuPercent({ server: [server.pid], shims });
  const serverCpu = cpu.server - idle.server;
  const pss = shims.map((pid) => kB(`/proc/${pid}/smaps_rollup`, "Pss"));
  const pssAnon = shims.map((pid) => kB(`/proc/${pid}/smaps_rollup`, "Pss_Anon"));
  const rssAnon = shims.map((pid) => kB(`/proc/${pid}/status`, "RssAnon"));
  const agentPss = run.agentPids.map((pid) => kB(`/proc/${pid}/smaps_rollup`, "Pss"));
  const killMs = await destroy(server, run.swarmIds);
  const percent = (cpu: number) => `${cpu.toFixed(2)} %`;
  const perAgent = (cpu: number) => `${(cpu / RUNNING).toFixed(3)} %`;
  const kiB = (kb: number) => `${Math.round(kb)} kB`;
  VALUES.set("server RSS per running agent", (busyRss - idleRss) / RUNNING / 1024);
  VALUES.set("server RSS idle", idleRss / 1024);
  console.log(`\nagents: supervising ${RUNNING} running \`sleep\` agents (${shims.length} shims)`);
  console.table([
    { figure: "server RSS idle → with agents", value: `${mib(idleRss)} → ${mib(busyRss)}` },
    { figure: "server RSS per running agent", value: kiB((busyRss - idleRss) / RUNNING) },
    { figure: "shim PSS (mean)", value: mib(mean(pss)) },
    { figure: "shim Pss_Anon (mean)", value: mib(mean(pssAnon)) },
    { figure: "shim RssAnon (mean)", value: mib(mean(rssAnon)) },
    { figure: "agent process (bwrap, then sleep) PSS (mean)", value: mib(mean(agentPss)) },
    { figure: "server CPU idle → with agents", value: `${percent(idle.server)} → ${percent(cpu.server)}` },
    { figure: "server CPU per running agent", value: perAgent(serverCpu) },
    { figure: "shim CPU per running agent", value: perAgent(cpu.shims) },
    { figure: "supervisor CPU per agent (server + shim)", value: perAgent(serverCpu + cpu.shims) },
    { figure: `destroy → all ${RUNNING} agents' processes gone`, value: `${Math.round(killMs)} ms` },
  ]);
}

/** Agent starts in the bwrap sandbox (the default), or unconfined: what the sandbox costs a start. */
async function startRate(server: BenchServer, sandbox: boolean) {
  const run = await startAgents(server, STARTS, sandbox ? AGENT : { ...AGENT, fileSandbox: false });
  const killMs = await destroy(server, run.swarmIds);
  const ms = (v: number) => `${Math.round(v)} ms`;
  printSummaries(
    `agents: ${STARTS} command agents started at once ${sandbox ? "in the bwrap sandbox" : "unconfined (fileSandbox: false)"} (POST /api/swarm ×${run.swarmIds.length}); ops/s = reaching running`,
    [summarize("POST → agent running, per agent", run.latencies, run.runningMs)],
    () => ({
      "all running": ms(run.runningMs),
      "all processes up": ms(run.upMs),
      "slowest POST": ms(run.slowestPostMs),
      "server CPU/start": ms(run.serverCpuMs / STARTS),
      "shim CPU/start": ms(run.shimCpuMs / STARTS),
      "destroy → gone": ms(killMs),
    }),
  );
}

export async function benchAgents(): Promise<void> {
  if (!existsSync("/proc/self/smaps_rollup")) return console.log("\nagents: skipped, needs Linux /proc");
  // Shims outlive the server by design, so a bench that stops early must end them itself. This
  // handler is registered before withBenchServer's, which kills the server and exits.
  let server: BenchServer | undefined;
  const killShims = () => {
    for (const pid of server ? shimsOf(server) : []) signalGroup(pid, "SIGKILL");
  };
  process.once("SIGINT", killShims);
  process.once("SIGTERM", killShims);
  try {
    await withBenchServer(CONFIG, async (started) => {
      server = started;
      try {
        await supervisorCost(started);
        await startRate(started, true);
        await startRate(started, false);
      } finally {
        killShims();
      }
    });
  } finally {
    process.off("SIGINT", killShims);
    process.off("SIGTERM", killShims);
  }
}
