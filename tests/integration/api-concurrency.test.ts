import { afterAll, expect, test } from "bun:test";
import { AgentResponseSchema } from "../../src/domain/agent.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { testServer } from "../api-helpers.ts";

const api = await testServer();
afterAll(() => api.close());

test("50 concurrent POST /api/agents into one swarm: 50 distinct ids, the count goes up by exactly 50", async () => {
  const [, created] = await api.json("POST", "/api/swarm", api.keys.write, {
    name: "crowd",
    task: "t",
    initialAgents: 1,
  });
  const swarm = SwarmResponseSchema.parse(created);
  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      api.json("POST", "/api/agents", api.keys.write, { swarmId: swarm.id, name: `a-${i}` }),
    ),
  );
  expect(responses.map(([status]) => status)).toEqual(Array(50).fill(201));
  const ids = responses.map(([, body]) => AgentResponseSchema.parse(body).id);
  expect(new Set(ids).size).toBe(50);
  const [, after] = await api.json("GET", `/api/swarm/${swarm.id}`, api.keys.read);
  expect(SwarmResponseSchema.parse(after).agentCount).toBe(1 + 50);
  const spawned = await api.t.store.listAgents({ swarmId: swarm.id });
  expect(
    spawned
      .filter((a) => a.name.startsWith("a-"))
      .map((a) => a.id)
      .sort(),
  ).toEqual([...ids].sort());
  expect(await api.t.countEvents()).toBe(1 + 1 + 1 + 50); // created, started, first agent spawned, 50 spawned
});

test("concurrent spawns past the per-swarm cap: exactly the room left succeeds, the rest are 400", async () => {
  const [, created] = await api.json("POST", "/api/swarm", api.keys.write, {
    name: "cap",
    task: "t",
    initialAgents: 90,
  });
  const swarm = SwarmResponseSchema.parse(created);
  const statuses = await Promise.all(
    Array.from(
      { length: 30 },
      async () => (await api.json("POST", "/api/agents", api.keys.write, { swarmId: swarm.id }))[0],
    ),
  );
  expect(statuses.filter((s) => s === 201)).toHaveLength(10);
  expect(statuses.filter((s) => s === 400)).toHaveLength(20);
  expect((await api.t.store.getSwarm(swarm.id))?.agentCount).toBe(100);
});

test("optimistic locking over HTTP: the version in a response is what expectedVersion checks", async () => {
  const [, created] = await api.json("POST", "/api/swarm", api.keys.write, { name: "lock", task: "t" });
  const swarm = SwarmResponseSchema.parse(created);
  const path = `/api/swarm/${swarm.id}/pause`;
  const [stale, conflict] = await api.json<{ error: { code: string } }>("POST", path, api.keys.write, {
    expectedVersion: swarm.version - 1,
  });
  expect([stale, conflict.error.code]).toEqual([409, "CONFLICT"]);
  const [ok, paused] = await api.json("POST", path, api.keys.write, { expectedVersion: swarm.version });
  expect(ok).toBe(200);
  expect(SwarmResponseSchema.parse(paused)).toMatchObject({ status: "paused", version: swarm.version + 1 });
});

test("20 concurrent scale requests with random targets end at the last committed target exactly", async () => {
  const [, created] = await api.json("POST", "/api/swarm", api.keys.write, {
    name: "scaler",
    task: "t",
    initialAgents: 3,
  });
  const swarm = SwarmResponseSchema.parse(created);
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const targets = Array.from({ length: 20 }, () => Math.floor(random() * 12));
  const responses = await Promise.all(
    targets.map((target) => api.json("POST", `/api/swarm/${swarm.id}/scale`, api.keys.write, { target })),
  );
  expect(responses.map(([status]) => status)).toEqual(Array(20).fill(200));
  // The order the database committed them in is the order of their swarm.scaled events.
  const scaled = (await api.t.store.listEvents({ types: ["swarm.scaled"] })).filter(
    (e) => e.source === swarm.id,
  );
  expect(scaled.map((e) => e.data.to).sort()).toEqual([...targets].sort());
  const last = scaled.at(-1)?.data.to as number;
  const unfinished = (await api.t.store.listAgents({ swarmId: swarm.id })).filter((a) => a.status === "idle");
  expect(unfinished).toHaveLength(last);
  expect((await api.t.store.getSwarm(swarm.id))?.targetAgentCount).toBe(last);
  // Each scale started where the one before it ended: no two saw the same state.
  for (let i = 1; i < scaled.length; i++) expect(scaled[i]?.data.from).toBe(scaled[i - 1]?.data.to);
  const [status, refused] = await api.json("POST", `/api/swarm/${swarm.id}/scale`, api.keys.write, {
    target: 101,
  });
  expect(status).toBe(400);
  expect(JSON.stringify(refused)).toContain("from 0 to 100 (DASH_MAX_AGENTS)");
});
