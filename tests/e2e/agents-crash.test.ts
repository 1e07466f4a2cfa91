import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentResponse, AgentResponseSchema } from "../../src/domain/agent.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, startServe } from "./compiled.ts";

// Issue 6: 20 agents of ~10 s each reporting usage; kill -9 of `dash serve` mid-run; restart: all
// complete, none ran twice, every cost is what the agents reported, none is running without a process.
const home = tempHome("dash-agents-crash-");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(() => home.cleanup());

const STEPS = 10;
// Each run notes itself in its workspace, then reports $0.001 per second for 10 s.
const SCRIPT = `echo run >> ran.txt; i=0; while [ $i -lt ${STEPS} ]; do sleep 1; i=$((i+1)); echo '{"dash":"usage","promptTokens":10,"completionTokens":5,"costUsd":0.001}'; echo '{"dash":"progress","current":'$i',"total":${STEPS}}'; done`;

async function agentsOf(url: string, key: string, swarmId: string): Promise<AgentResponse[]> {
  const res = await fetch(new URL(`/api/agents?swarmId=${swarmId}&limit=100`, url), {
    headers: { authorization: `Bearer ${key}` },
  });
  const body = (await res.json()) as { agents: unknown[] };
  return body.agents.map((a) => AgentResponseSchema.parse(a));
}

test("kill -9 of the server mid-run: all 20 agents complete once, with exactly the cost they reported", async () => {
  const env = { DASH_MAX_CONCURRENCY: "32" };
  const first = await startServe(bin, home.dir, env);
  const { key } = JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string };
  const created = await fetch(new URL("/api/swarm", first.url), {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "crash",
      task: "report usage for ten seconds",
      initialAgents: 20,
      config: { command: ["sh", "-c", SCRIPT], timeout: 60_000 },
    }),
  });
  expect(created.status).toBe(201);
  const swarm = SwarmResponseSchema.parse(await created.json());

  // Mid-run: every agent running and some usage recorded.
  const deadline = Date.now() + 15_000;
  let agents = await agentsOf(first.url, key, swarm.id);
  while (Date.now() < deadline && !agents.every((a) => a.status === "running" && a.cost.amount > 0)) {
    await Bun.sleep(100);
    agents = await agentsOf(first.url, key, swarm.id);
  }
  expect(agents.map((a) => a.status)).toEqual(Array(20).fill("running"));
  first.proc.kill("SIGKILL");
  await first.proc.exited;
  await Bun.sleep(1500); // the agents go on without the server

  const second = await startServe(bin, home.dir, env);
  // After recovery, every agent the database calls live has a live process group behind it.
  const db = new Database(join(home.dir, "dash.db"), { readonly: true });
  const live = db.query("SELECT pid FROM agents WHERE status IN ('spawning', 'running', 'paused')").all() as {
    pid: number | null;
  }[];
  db.close();
  expect(live.length).toBeGreaterThan(0);
  expect(live.filter((r) => r.pid === null || !groupAlive(r.pid))).toEqual([]);
  const end = Date.now() + 30_000;
  while (Date.now() < end && !agents.every((a) => a.status === "completed")) {
    await Bun.sleep(200);
    agents = await agentsOf(second.url, key, swarm.id);
  }
  expect(agents.map((a) => a.status)).toEqual(Array(20).fill("completed"));
  for (const agent of agents) {
    expect(agent.cost.amount).toBeCloseTo(STEPS * 0.001, 9);
    expect(agent.cost.totalTokens).toBe(STEPS * 15);
    expect(agent.progress).toMatchObject({ current: STEPS, total: STEPS });
    const ran = readFileSync(join(home.dir, "workspaces", swarm.id, agent.id, "ran.txt"), "utf8");
    expect(ran).toBe("run\n"); // ran once: re-attached, not started again
  }
  const budget = (await (
    await fetch(new URL(`/api/budget?swarmId=${swarm.id}`, second.url), {
      headers: { authorization: `Bearer ${key}` },
    })
  ).json()) as { budgets: { spent: number }[] };
  expect(budget.budgets[0]?.spent).toBeCloseTo(20 * STEPS * 0.001, 9);
  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
}, 90_000);
