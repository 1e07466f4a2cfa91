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
  expect(api.t.countEvents()).toBe(1 + 1 + 1 + 50); // created, started, first agent spawned, 50 spawned
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
