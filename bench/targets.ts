/**
 * The PRD's performance targets (§4.5, §8) next to what `bun run bench` measured, from the
 * figures the benchmarks recorded by name. A target whose bench did not run says so.
 */
import { SUMMARIES, VALUES } from "./record.ts";
import { table } from "./results.ts";
import type { Summary } from "./stats.ts";

type Check = { measured: string; met: boolean } | null;
const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`;

/** p50/p95/p99 of a named summary against three bounds. */
function latency(name: string, p50: number, p95: number, p99: number): () => Check {
  return () => {
    const s: Summary | undefined = SUMMARIES.get(name);
    if (!s) return null;
    return {
      measured: `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}`,
      met: s.p50 < p50 && s.p95 < p95 && s.p99 < p99,
    };
  };
}
function p95(name: string, bound: number): () => Check {
  return () => {
    const s = SUMMARIES.get(name);
    return s ? { measured: `p95 ${ms(s.p95)}`, met: s.p95 < bound } : null;
  };
}
function value(name: string, bound: number, unit: (v: number) => string): () => Check {
  return () => {
    const v = VALUES.get(name);
    return v === undefined ? null : { measured: unit(v), met: v < bound };
  };
}
const mib = (v: number) => `${v.toFixed(0)} MiB`;

const TARGETS: [string, string, () => Check][] = [
  ["§8.2 GET /health (p50/p95/p99)", "< 5 / 10 / 20 ms", latency("GET /health", 5, 10, 20)],
  ["§8.2 GET /api/agents", "< 20 / 50 / 100 ms", latency("GET /api/agents (limit 100)", 20, 50, 100)],
  ["§8.2 POST /api/swarm", "< 50 / 100 / 200 ms", latency("POST /api/swarm (3 agents)", 50, 100, 200)],
  ["§8.2 WebSocket event, 10 clients", "< 10 / 20 / 50 ms", latency("10 clients", 10, 20, 50)],
  ["§8.2 WebSocket event, 100 clients", "< 10 / 20 / 50 ms", latency("100 clients", 10, 20, 50)],
  ["§8.3 agent by id", "< 1 ms", p95("agent by id", 1)],
  ["§8.3 agents by swarm", "< 5 ms", p95("agents by swarm (100)", 5)],
  ["§8.3 agents by status", "< 10 ms", p95("agents by status (≤ 100)", 10)],
  ["§8.3 recent events", "< 10 ms", p95("recent events (100)", 10)],
  ["§8.3 budget update (agent + budget, one transaction)", "< 5 ms", p95("usage report (agent + budget)", 5)],
  [
    "§4.5 initial render (spawn → grid filled, 50 agents, worst of 5)",
    "< 1 s",
    value("dashboard first frame max", 1000, ms),
  ],
  ["§4.5 agent grid refresh, 50 agents (render)", "< 100 ms", p95("full update, 50 agents", 100)],
  [
    "§4.5 state change → on screen (API → tmux pane)",
    "< 100 ms",
    value("dashboard change p95", 100, (v) => `p95 ${ms(v)}`),
  ],
  ["§4.5 event stream append", "< 16 ms", p95("one event appended, 50 agents", 16)],
  [
    "§4.5 keyboard latency (key → pane, via tmux)",
    "< 16 ms",
    value("dashboard key p95", 16, (v) => `p95 ${ms(v)}`),
  ],
  ["§4.5 dashboard memory, 100 agents", "< 200 MB", value("dashboard RSS 100 agents", 200, mib)],
  ["§4.5 dashboard CPU, idle", "< 10 %", value("dashboard idle CPU", 10, (v) => `${v.toFixed(2)} %`)],
  [
    "§8.4 API server per agent",
    "0.2 MB",
    value("server RSS per running agent", 0.2, (v) => `${(v * 1024).toFixed(0)} kB`),
  ],
  ["§8.4 API server base", "30 MB", value("server RSS idle", 30, mib)],
  [
    "issue 29: base RSS of the compiled binary (anonymous part)",
    "≤ 40 MiB",
    () => {
      const total = VALUES.get("server RSS idle, compiled");
      const anon = VALUES.get("server RSS idle, compiled, anonymous");
      if (total === undefined || anon === undefined) return null;
      return { measured: `${mib(total)} (${mib(anon)})`, met: total <= 40 };
    },
  ],
];

export function targetsTable(): string {
  const rows = TARGETS.map(([what, target, check]) => {
    const result = check();
    return [what, target, result?.measured ?? "not run", result ? (result.met ? "yes" : "**no**") : ""];
  });
  return table(["PRD target", "target", "measured", "met"], rows);
}
