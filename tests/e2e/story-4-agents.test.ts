/**
 * PRD story 4, black box: the compiled `dash serve` (DASH_MAX_CONCURRENCY=50, so all start at
 * once) runs a swarm of 50 real command agents that report usage and progress on stdout, watched
 * by a real WebSocket client on /events. No invalid state transition on the stream, 50 unique
 * ids, all completed, and the budget's spend equals the sum of the agents' costs (integer micros).
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentResponseSchema } from "../../src/domain/agent.ts";
import { type DashEvent, EventSchema } from "../../src/domain/event.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { BudgetListSchema } from "../../src/domain/wire.ts";
import { agentMoves } from "../agent-moves.ts";
import { tempHome, until } from "../helpers.ts";
import { compiledDash, type Served, startServe } from "./compiled.ts";

const AGENTS = 50;
const home = tempHome("dash-story4-");
let served: Served | undefined;
let key = "";

beforeAll(async () => {
  const bin = await compiledDash();
  served = await startServe(bin, home.dir, { DASH_MAX_CONCURRENCY: String(AGENTS) });
  key = (JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string }).key;
}, 120_000);

/** Lets every agent past its barrier (see SCRIPT). */
function release(): void {
  const root = join(home.dir, "workspaces");
  if (!existsSync(root)) return;
  for (const swarm of readdirSync(root))
    for (const agent of readdirSync(join(root, swarm))) writeFileSync(join(root, swarm, agent, "go"), "");
}

afterAll(async () => {
  // If the test failed midway: release the agents and wait for them (bounded) so no shim
  // outlives the server.
  const db = new Database(join(home.dir, "dash.db"), { readonly: true });
  const open = () =>
    (db.query("SELECT COUNT(*) AS n FROM agents WHERE status IN ('idle','running')").get() as { n: number })
      .n;
  // Released again while waiting: agents launched after the first release wait at the barrier too.
  for (let i = 0; i < 400 && open() > 0; i++) {
    if (i % 10 === 0) release();
    await Bun.sleep(50);
  }
  db.close();
  served?.proc.kill("SIGTERM");
  await served?.proc.exited;
  home.cleanup();
}, 30_000);

async function get(path: string): Promise<unknown> {
  const res = await fetch(new URL(path, served?.url), { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

// A barrier first: each agent waits (at most 2 min) for a `go` file in its workspace, which the
// test writes once all 50 are running, so they do start processing at the same moment. Then five
// steps of odd amounts each, so a lost or doubled update shows in the sum.
const SCRIPT = [
  "n=0; while [ ! -e go ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done",
  "i=1; while [ $i -le 5 ]; do",
  `echo '{"dash":"usage","promptTokens":'$((i*7))',"completionTokens":3,"costUsd":0.00'$i'37}'`,
  `echo '{"dash":"progress","current":'$i',"total":5}'; i=$((i+1)); done`,
  `echo '{"dash":"result","result":"ok"}'`,
].join("\n");
const micros = (usd: number) => Math.round(usd * 1e6);

test(`${AGENTS} concurrent agents on the compiled server: valid transitions, unique ids, exact budget`, async () => {
  const events: DashEvent[] = [];
  const url = new URL(`/events?token=${encodeURIComponent(key)}&filter=agent.*,swarm.*`, served?.url);
  url.protocol = "ws:";
  const ws = new WebSocket(url);
  ws.addEventListener("message", (m) => {
    const body = JSON.parse(String(m.data)) as Record<string, unknown>;
    if (!("op" in body)) events.push(EventSchema.parse(body));
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", () => reject(new Error("the /events WebSocket failed to open")));
  });
  let closed = ""; // the close code and reason, if the server closed the stream
  ws.addEventListener("close", (e) => {
    closed = `${e.code} ${e.reason}`;
  });

  const res = await fetch(new URL("/api/swarm", served?.url), {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "stress-test",
      task: "Simple computation",
      initialAgents: AGENTS,
      budget: { amount: 50 },
      config: { command: ["sh", "-c", SCRIPT], maxRetries: 0 },
    }),
  });
  expect(res.status).toBe(201);
  const swarmId = SwarmResponseSchema.parse(await res.json()).id;
  const t0 = performance.now();
  const running = new Set<string>();
  const seenRunning = () => {
    for (const e of events)
      if (e.type.startsWith("agent.") && e.data.status === "running") running.add(e.source);
    return running.size === AGENTS;
  };
  await until(seenRunning, 60_000).catch(() => {
    const statuses = events.filter((e) => e.type.startsWith("agent.")).map((e) => e.data.status);
    const why = `only ${running.size}/${AGENTS} agents seen running (stream closed: ${closed || "no"})`;
    throw new Error(`${why}; statuses: ${statuses.join(",")}`);
  });
  console.log(`${AGENTS} agents running at once ${Math.round(performance.now() - t0)} ms after the 201`);
  expect(events.some((e) => e.type.startsWith("agent.") && e.data.status === "completed")).toBe(false);
  release();
  await until(() => events.some((e) => e.type === "swarm.completed" && e.source === swarmId), 90_000);
  console.log(
    `${AGENTS} agents: 201 → swarm.completed on the stream in ${Math.round(performance.now() - t0)} ms`,
  );
  expect(closed).toBe(""); // the stream stayed up: nothing was dropped by a reconnect
  ws.close();

  // Every status change seen on the stream is a move the state machine allows.
  const { history, violations } = agentMoves(events);
  expect(violations).toEqual([]);
  expect(history.size).toBe(AGENTS);
  // Every agent was seen running and then completed, last, on the stream.
  for (const [id, seen] of history) {
    expect([id, seen.includes("running"), seen.at(-1)]).toEqual([id, true, "completed"]);
  }

  const page = (await get(`/api/agents?swarmId=${swarmId}&limit=100`)) as { agents: unknown[] };
  const agents = page.agents.map((a) => AgentResponseSchema.parse(a));
  expect(agents).toHaveLength(AGENTS);
  expect(new Set(agents.map((a) => a.id)).size).toBe(AGENTS);
  expect(new Set(agents.map((a) => a.id))).toEqual(new Set(history.keys()));
  expect(agents.filter((a) => a.status !== "completed").map((a) => `${a.name}: ${a.status}`)).toEqual([]);
  expect(agents.every((a) => a.progress.current === 5 && a.progress.total === 5)).toBe(true);

  const budget = BudgetListSchema.parse(await get(`/api/budget?swarmId=${swarmId}`)).budgets[0];
  const sum = agents.reduce((n, a) => n + micros(a.cost.amount), 0);
  expect(micros(budget?.spent ?? -1)).toBe(sum);
  expect(sum).toBe(AGENTS * micros(0.001_37 + 0.002_37 + 0.003_37 + 0.004_37 + 0.005_37));
  expect(budget?.reserved).toBe(0);

  // The same in the database's integer columns, where no float rounding can hide a difference.
  const db = new Database(join(home.dir, "dash.db"), { readonly: true });
  const row = db
    .query("SELECT amount_spent AS spent FROM budgets WHERE entity_type = 'swarm' AND entity_id = ?")
    .get(swarmId) as { spent: number };
  const costs = db.query("SELECT SUM(cost_micros) AS n FROM agents WHERE swarm_id = ?").get(swarmId) as {
    n: number;
  };
  db.close();
  expect(row.spent).toBe(costs.n);
  expect(row.spent).toBe(sum);
}, 120_000);
