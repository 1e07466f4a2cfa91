import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentResponse, AgentResponseSchema } from "../../src/domain/agent.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { BudgetListSchema, SwarmListSchema } from "../../src/domain/wire.ts";
import { SqliteStore } from "../../src/storage/sqlite.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, startServe } from "./compiled.ts";

// PRD story 3: 5 swarms, 20 agents, $50.23 spent; kill -9 of `dash serve`; restart; all the same.
const home = tempHome("dash-restart-");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
  writeFileSync(
    join(home.dir, "config.yaml"),
    "limits:\n  rateLimitPerMinute: 1000000\n  swarmCreatesPerMinute: 1000\n",
  );
}, 120_000);
afterAll(() => home.cleanup());

async function snapshot(url: string, key: string) {
  const get = async (path: string) => {
    const res = await fetch(new URL(path, url), { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    return res.json();
  };
  const swarms = SwarmListSchema.parse(await get("/api/swarm")).swarms;
  const agents: AgentResponse[] = [];
  for (const s of swarms) {
    const page = (await get(`/api/agents?swarmId=${s.id}&limit=1000`)) as { agents: unknown[] };
    agents.push(...page.agents.map((a) => AgentResponseSchema.parse(a)));
  }
  const budget = BudgetListSchema.parse(await get("/api/budget"));
  return { swarms, agents, budget };
}

/**
 * A snapshot that two reads in a row agree on: after the restart the late agents start and report
 * while the agents and budgets are being read, so a single read can see a report in the budget
 * that it did not see on its agent.
 */
async function quietSnapshot(url: string, key: string) {
  let last = await snapshot(url, key);
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    await Bun.sleep(200);
    const next = await snapshot(url, key);
    if (Bun.deepEquals(next, last)) return next;
    last = next;
  }
  return last;
}

test("kill -9 and restart: every swarm, agent (status, cost) and the $50.23 spent read back the same", async () => {
  const env = { DASH_MAX_CONCURRENCY: "100" };
  const first = await startServe(bin, home.dir, env);
  const { key } = JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string };
  const call = (method: string, path: string, body?: unknown) =>
    fetch(new URL(path, first.url), {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  // Real agents: each reports $2.5115 of usage (20 × = $50.23), then per swarm: keeps running,
  // completes, fails, keeps running and is paused, keeps running and is killed.
  const usage = `echo '{"dash":"usage","promptTokens":1000,"completionTokens":200,"costUsd":2.5115}'`;
  const behaviours = ["sleep 120", "exit 0", "exit 1", "sleep 120", "sleep 120"];
  const swarmIds: string[] = [];
  for (const [i, then] of behaviours.entries()) {
    const res = await call("POST", "/api/swarm", {
      name: `story-${i + 1}`,
      task: `task ${i + 1}`,
      initialAgents: 4,
      // Room for its 4 agents and the 8 late ones of the burst below ($2.5115 each, $30.14): a
      // swarm that spent its budget kills its agents, and the ones that were running or paused
      // would read killed after the restart (seen when most of the burst was acknowledged).
      budget: { amount: 40 },
      config: { command: ["sh", "-c", `${usage}; ${then}`], maxRetries: 0, timeout: 600_000 },
    });
    expect(res.status).toBe(201);
    swarmIds.push(SwarmResponseSchema.parse(await res.json()).id);
  }
  // Each agent has reported and reached what its command makes of it: still running (sleep), or
  // ended (exit 0, exit 1). An agent that reported but has not exited yet would end meanwhile.
  const ends = ["running", "completed", "failed", "running", "running"];
  const settled = async () => {
    const { agents } = await snapshot(first.url, key);
    return agents.every((a) => a.cost.amount > 0 && a.status === ends[swarmIds.indexOf(a.swarmId)]);
  };
  const deadline = Date.now() + 20_000;
  while (!(await settled()) && Date.now() < deadline) await Bun.sleep(100);
  const agents = (await snapshot(first.url, key)).agents;
  expect(agents).toHaveLength(20);
  // The server's own writes: pause the agents of swarm 4, kill those of swarm 5.
  for (const agent of agents) {
    if (agent.swarmId === swarmIds[3])
      expect((await call("POST", `/api/agents/${agent.id}/pause`, {})).status).toBe(200);
    if (agent.swarmId === swarmIds[4])
      expect((await call("DELETE", `/api/agents/${agent.id}`)).status).toBe(200);
  }
  const before = await snapshot(first.url, key);
  expect(before.budget.totals).toEqual([
    { currency: "USD", allocated: 200, spent: 50.23, remaining: 149.77 },
  ]);

  // kill -9 in the middle of a burst of writes: every write the server acknowledged must survive.
  const burst = Array.from({ length: 40 }, (_, i) =>
    call("POST", "/api/agents", { swarmId: swarmIds[i % 5], name: `late-${i}` })
      .then(async (res) =>
        res.status === 201 ? (AgentResponseSchema.parse(await res.json()).id as string) : null,
      )
      .catch(() => null),
  );
  await Bun.sleep(5);
  first.proc.kill("SIGKILL");
  const acknowledged = (await Promise.all(burst)).filter((id): id is string => id !== null);
  expect(await first.proc.exited).not.toBe(0);

  const second = await startServe(bin, home.dir, env);
  const after = await quietSnapshot(second.url, key);
  const ids = new Set(after.agents.map((a) => a.id));
  for (const id of acknowledged) expect(ids.has(id)).toBe(true);
  expect(after.swarms.map((s) => s.id)).toEqual(swarmIds);
  const original = after.agents.filter((a) => !a.name.startsWith("late-"));
  expect(original).toEqual(before.agents);
  // Late agents are real too: any that started reported its own $2.5115 on top.
  const late = after.agents
    .filter((a) => a.name.startsWith("late-"))
    .reduce((sum, a) => sum + a.cost.amount, 0);
  expect(after.budget.totals[0]?.spent).toBeCloseTo(50.23 + late, 9);
  // Each swarm is as it was, but for what its late agents spent since.
  const lateSpent = (swarmId: string) =>
    after.agents
      .filter((a) => a.name.startsWith("late-") && a.swarmId === swarmId)
      .reduce((sum, a) => sum + a.cost.amount, 0);
  expect(after.swarms.map(({ agentCount: _, budget: __, ...s }) => s)).toEqual(
    before.swarms.map(({ agentCount: _, budget: __, ...s }) => s),
  );
  for (const [i, swarm] of after.swarms.entries()) {
    expect(swarm.budget.spent).toBeCloseTo((before.swarms[i]?.budget.spent ?? 0) + lateSpent(swarm.id), 9);
  }
  console.log(
    `restart story: ${acknowledged.length}/40 acknowledged spawns in flight at kill -9, all restored`,
  );
  expect(original.filter((a) => a.swarmId === swarmIds[0]).map((a) => a.status)).toEqual(
    Array(4).fill("running"),
  );
  // No agent of the story may outlive it.
  for (const id of swarmIds)
    await fetch(new URL(`/api/swarm/${id}`, second.url), {
      method: "DELETE",
      headers: { authorization: `Bearer ${key}` },
    });
  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
  const check = SqliteStore.open(join(home.dir, "dash.db"));
  expect(check.db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  check.close();
}, 120_000);
