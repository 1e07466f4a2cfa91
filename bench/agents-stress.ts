/**
 * PRD §9.4 at any size against `dash serve` in its own process: N real command agents start at
 * once (swarms of ≤ 100), report usage and progress on stdout and complete, watched on the real
 * WebSocket stream. Checks: no invalid state transition, N unique ids, all completed, every
 * budget's spend exactly its agents' costs and exactly what they reported. Used by
 * `bun run stress:agents --agents 500` (the CI form with 50 is tests/stress/agents-50.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DashEvent, EventSchema } from "../src/domain/event.ts";
import { type AgentStatus, canMoveAgent } from "../src/domain/states.ts";
import { startDash } from "./dash-server.ts";
import { kB } from "./proc.ts";

const STEPS = 5;
/** Odd amounts, so a lost or doubled report shows in the sums: $0.00137 + $0.00237 + … */
const STEP_MICROS = (i: number) => 1_000 * i + 370;
const EXPECTED_MICROS = Array.from({ length: STEPS }, (_, i) => STEP_MICROS(i + 1)).reduce((a, b) => a + b);
const SCRIPT = [
  "i=1; while [ $i -le 5 ]; do",
  `echo '{"dash":"usage","promptTokens":'$((i*7))',"completionTokens":3,"costUsd":0.00'$i'37}'`,
  `echo '{"dash":"progress","current":'$i',"total":5}'; i=$((i+1)); sleep 0.5; done`,
  `echo '{"dash":"result","result":"ok"}'`,
].join("\n");

export interface AgentsStressResult {
  agents: number;
  /** From the first create to the last swarm.completed. */
  seconds: number;
  /** When the most agents were running at once, and how many. */
  peakRunning: number;
  allRunningAfterMs: number | null;
  events: number;
  serverPeakRssMiB: number;
  problems: string[];
}

export async function runAgentsStress(dash: string[], agents: number): Promise<AgentsStressResult> {
  const home = mkdtempSync(join(tmpdir(), "dash-stress-agents-"));
  writeFileSync(
    join(home, "config.yaml"),
    "limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }\n",
  );
  const server = startDash(dash, home, { DASH_MAX_CONCURRENCY: String(agents) });
  const problems: string[] = [];
  try {
    const url = await server.ready;
    if (!url) throw new Error("dash serve did not start");
    const { key } = JSON.parse(readFileSync(join(home, "credentials"), "utf8")) as { key: string };
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };

    const events: DashEvent[] = [];
    const ws = new WebSocket(`${url.replace("http", "ws")}/events?token=${key}&filter=agent.*,swarm.*`);
    ws.addEventListener("message", (m) => {
      const body = JSON.parse(String(m.data)) as Record<string, unknown>;
      if (!("op" in body)) events.push(EventSchema.parse(body));
    });
    await new Promise((resolve) => ws.addEventListener("open", resolve));

    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, kB(`/proc/${server.proc.pid}/status`, "VmRSS") || 0);
    }, 250);
    const started = performance.now();
    const swarmIds: string[] = [];
    for (let left = agents; left > 0; left -= 100) {
      const config = { command: ["sh", "-c", SCRIPT], maxRetries: 0, timeout: 600_000 };
      const body = {
        name: `stress-${swarmIds.length}`,
        task: "Simple computation",
        initialAgents: Math.min(100, left),
        budget: { amount: 50 },
        config,
      };
      swarmIds.push((await api("POST", "/api/swarm", body)).id as string);
    }
    const done = () =>
      swarmIds.every((id) => events.some((e) => e.type === "swarm.completed" && e.source === id));
    for (const end = Date.now() + 600_000; !done() && Date.now() < end; ) await Bun.sleep(100);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    ws.close();
    if (!done()) problems.push("not every swarm completed within 10 minutes");

    // Replays the stream: every status change a move the state machine allows; the running peak.
    const last = new Map<string, AgentStatus>();
    let running = 0;
    let peakRunning = 0;
    let allRunningAfterMs: number | null = null;
    const t0 = events[0] ? Date.parse(events[0].timestamp) : 0;
    for (const event of events) {
      const next = event.data.status as AgentStatus | undefined;
      if (!event.type.startsWith("agent.") || !next) continue;
      const before = last.get(event.source);
      if (before !== undefined && !canMoveAgent(before, next))
        problems.push(`${event.source}: ${before} -> ${next}`);
      running += (next === "running" ? 1 : 0) - (before === "running" ? 1 : 0);
      peakRunning = Math.max(peakRunning, running);
      if (running === agents && allRunningAfterMs === null)
        allRunningAfterMs = Date.parse(event.timestamp) - t0;
      last.set(event.source, next);
    }
    if (last.size !== agents) problems.push(`${last.size} agents on the stream, expected ${agents}`);

    const ids = new Set<string>();
    for (const swarmId of swarmIds) {
      const page = await api("GET", `/api/agents?swarmId=${swarmId}&limit=100`);
      const list = page.agents as { id: string; status: string; cost: { amount: number } }[];
      const micros = list.map((a) => Math.round(a.cost.amount * 1e6));
      for (const a of list) ids.add(a.id);
      const notDone = list.filter((a) => a.status !== "completed");
      if (notDone.length > 0) problems.push(`swarm ${swarmId}: ${notDone.length} agents did not complete`);
      const wrong = micros.filter((m) => m !== EXPECTED_MICROS);
      if (wrong.length > 0)
        problems.push(`swarm ${swarmId}: ${wrong.length} agents' cost ≠ ${EXPECTED_MICROS} µ$`);
      const budget = (await api("GET", `/api/budget?swarmId=${swarmId}`)).budgets as { spent: number }[];
      const spent = Math.round((budget[0]?.spent ?? -1) * 1e6);
      const sum = micros.reduce((a, b) => a + b, 0);
      if (spent !== sum)
        problems.push(
          `swarm ${swarmId}: budget spent ${spent} µ$ ≠ agents' ${sum} µ$: ${JSON.stringify(budget[0])}`,
        );
    }
    if (ids.size !== agents) problems.push(`${ids.size} unique agent ids, expected ${agents}`);
    for (const id of swarmIds) await api("DELETE", `/api/swarm/${id}`).catch(() => {});
    return {
      agents,
      seconds,
      peakRunning,
      allRunningAfterMs,
      events: events.length,
      serverPeakRssMiB: peakRss / 1024,
      problems,
    };
  } finally {
    server.proc.kill("SIGTERM");
    await server.proc.exited;
    rmSync(home, { recursive: true, force: true });
  }
}
