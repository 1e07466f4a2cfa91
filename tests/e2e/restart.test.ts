import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EventBus } from "../../src/bus/bus.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
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

test("kill -9 and restart: every swarm, agent (status, cost) and the $50.23 spent read back the same", async () => {
  const first = await startServe(bin, home.dir);
  const { key } = JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string };
  const call = (method: string, path: string, body?: unknown) =>
    fetch(new URL(path, first.url), {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const swarmIds: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const res = await call("POST", "/api/swarm", {
      name: `story-${i}`,
      task: `task ${i}`,
      initialAgents: 4,
      budget: { amount: 20 },
    });
    expect(res.status).toBe(201);
    swarmIds.push(SwarmResponseSchema.parse(await res.json()).id);
  }
  // A runtime's side of the story (issue 6 wires it): another process on the same database file
  // starts the agents and records their spend, $50.23 in all, while the server runs.
  const store = SqliteStore.open(join(home.dir, "dash.db"));
  const lifecycle = new Lifecycle(store, new EventBus());
  const agents = await store.listAgents();
  expect(agents).toHaveLength(20);
  const cents = [
    251, 252, 251, 251, 251, 251, 252, 251, 251, 251, 251, 251, 251, 251, 251, 251, 251, 251, 251, 252,
  ];
  expect(cents.reduce((a, b) => a + b, 0)).toBe(5023);
  for (const [i, agent] of agents.entries()) {
    await lifecycle.moveAgent(agent.id, { to: "spawning" });
    await lifecycle.moveAgent(agent.id, { to: "running", sessionId: `session-${i}` });
    await lifecycle.recordUsage(agent.id, {
      promptTokens: 1000 + i,
      completionTokens: 200 + i,
      costUsd: (cents[i] as number) / 100,
    });
    if (i % 5 === 1) await lifecycle.moveAgent(agent.id, { to: "completed", result: { ok: i } });
    if (i % 5 === 2) await lifecycle.moveAgent(agent.id, { to: "failed", error: { message: "boom" } });
  }
  store.close();
  // The server's own writes: pause some agents, kill others.
  for (const [i, agent] of agents.entries()) {
    if (i % 5 === 3) expect((await call("POST", `/api/agents/${agent.id}/pause`, {})).status).toBe(200);
    if (i % 5 === 4) expect((await call("DELETE", `/api/agents/${agent.id}`)).status).toBe(200);
  }
  const before = await snapshot(first.url, key);
  expect(before.budget.totals).toEqual([{ currency: "USD", allocated: 100, spent: 50.23, remaining: 49.77 }]);

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

  const second = await startServe(bin, home.dir);
  const after = await snapshot(second.url, key);
  const ids = new Set(after.agents.map((a) => a.id));
  for (const id of acknowledged) expect(ids.has(id)).toBe(true);
  expect(after.swarms.map((s) => s.id)).toEqual(swarmIds);
  const original = after.agents.filter((a) => !a.name.startsWith("late-"));
  expect(original).toEqual(before.agents);
  expect(after.budget.totals[0]?.spent).toBe(50.23);
  expect(after.swarms.map(({ agentCount: _, ...s }) => s)).toEqual(
    before.swarms.map(({ agentCount: _, ...s }) => s),
  );
  console.log(
    `restart story: ${acknowledged.length}/40 acknowledged spawns in flight at kill -9, all restored`,
  );
  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
  const check = SqliteStore.open(join(home.dir, "dash.db"));
  expect(check.db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  check.close();
}, 120_000);
