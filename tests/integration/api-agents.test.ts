import { afterAll, describe, expect, test } from "bun:test";
import { type AgentResponse, AgentResponseSchema } from "../../src/domain/agent.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { newId } from "../../src/domain/ids.ts";
import { AgentPageSchema as AgentPage } from "../../src/domain/wire.ts";
import { testServer } from "../api-helpers.ts";

const api = await testServer();
const { t, keys } = api;
afterAll(() => api.close());

async function liveSwarm(initialAgents: number) {
  const { swarm, agents } = await t.lifecycle.createSwarm({ name: "ag", task: "t", initialAgents });
  await t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  return { id: swarm.id, agents: agents.map((a) => a.id) };
}

async function running(id: string): Promise<string> {
  await t.lifecycle.moveAgent(id, { to: "spawning" });
  await t.lifecycle.moveAgent(id, { to: "running" });
  return id;
}

async function agent(res: Response, status = 200): Promise<AgentResponse> {
  const body: unknown = await res.json();
  expect([res.status, body]).toEqual([status, expect.anything()]);
  return AgentResponseSchema.parse(body);
}

/** A refusal: its envelope parses and its status and code are the expected ones. */
async function refused(res: Response, status: number, code: string) {
  const { error } = ErrorResponseSchema.parse(await res.json());
  expect([res.status, error.code]).toEqual([status, code]);
  return error;
}

/** Follows nextCursor to the end; `between` runs after the first page. */
async function walk(query: string, between?: () => Promise<unknown>): Promise<AgentResponse[][]> {
  const pages: AgentResponse[][] = [];
  let cursor: string | null = null;
  do {
    const res = await api.call("GET", `/api/agents?${query}${cursor ? `&cursor=${cursor}` : ""}`, keys.read);
    const body = AgentPage.parse(await res.json());
    if (body.nextCursor) expect(body.nextCursor).toBe(body.agents.at(-1)?.id as string);
    pages.push(body.agents);
    cursor = body.nextCursor;
    if (pages.length === 1) await between?.();
  } while (cursor && pages.length < 20);
  return pages;
}

const ids = (agents: AgentResponse[]) => agents.map((a) => a.id);

describe("GET /api/agents", () => {
  test("filters by swarmId and status, in id order", async () => {
    const a = await liveSwarm(4);
    const b = await liveSwarm(2);
    const started = [await running(a.agents[1] as string), await running(a.agents[3] as string)];
    const all = AgentPage.parse(
      await (await api.call("GET", `/api/agents?swarmId=${a.id}`, keys.read)).json(),
    );
    expect(ids(all.agents)).toEqual([...a.agents].sort());
    expect(all.nextCursor).toBeNull();
    const run = await api.call("GET", `/api/agents?swarmId=${a.id}&status=running`, keys.read);
    expect(ids(AgentPage.parse(await run.json()).agents)).toEqual(started);
    const idle = await api.call("GET", `/api/agents?swarmId=${b.id}&status=idle`, keys.read);
    expect(ids(AgentPage.parse(await idle.json()).agents)).toEqual(b.agents);
    await refused(await api.call("GET", "/api/agents?status=sleeping", keys.read), 400, "VALIDATION_ERROR");
    await refused(await api.call("GET", "/api/agents?cursor=nope", keys.read), 400, "VALIDATION_ERROR");
  });

  test("cursor pages cover every agent once, in id order, with a null cursor on the last page", async () => {
    const s = await liveSwarm(5);
    const pages = await walk(`swarmId=${s.id}&limit=2`);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(ids(pages.flat())).toEqual([...s.agents].sort());
    // A last page that is exactly full still ends the walk: no empty extra page.
    expect((await walk(`swarmId=${s.id}&limit=5`)).map((p) => p.length)).toEqual([5]);
    const idle = await walk(`swarmId=${s.id}&status=idle&limit=1`);
    expect(ids(idle.flat())).toEqual([...s.agents].sort());
  });

  test("an agent spawned mid-walk shows up once, on a later page, and none is missed", async () => {
    const s = await liveSwarm(3);
    let late = "";
    const pages = await walk(`swarmId=${s.id}&limit=2`, async () => {
      late = (await agent(await api.call("POST", "/api/agents", keys.write, { swarmId: s.id }), 201)).id;
    });
    expect(ids(pages.flat())).toEqual([...s.agents, late]);
  });
});

describe("POST /api/agents", () => {
  test("spawns an idle agent (201) with the swarm's task and a parent in the same swarm", async () => {
    const s = await liveSwarm(1);
    const parentId = s.agents[0] as string;
    const res = await api.call("POST", "/api/agents", keys.write, { swarmId: s.id, name: "kid", parentId });
    expect(await agent(res, 201)).toMatchObject({
      name: "kid",
      status: "idle",
      swarmId: s.id,
      parentId,
      task: "t",
    });
    expect((await t.store.getSwarm(s.id))?.agentCount).toBe(2);
  });

  test("refuses an unknown swarm (404), a parent from another swarm (400), a destroyed swarm (409)", async () => {
    await refused(await api.call("POST", "/api/agents", keys.write, { swarmId: newId() }), 404, "NOT_FOUND");
    const [a, b] = [await liveSwarm(1), await liveSwarm(1)];
    const cross = await api.call("POST", "/api/agents", keys.write, { swarmId: a.id, parentId: b.agents[0] });
    expect((await refused(cross, 400, "VALIDATION_ERROR")).details).toMatchObject({ field: "parentId" });
    const orphan = await api.call("POST", "/api/agents", keys.write, { swarmId: a.id, parentId: newId() });
    await refused(orphan, 400, "VALIDATION_ERROR");
    expect((await api.call("DELETE", `/api/swarm/${a.id}`, keys.write)).status).toBe(200);
    await refused(await api.call("POST", "/api/agents", keys.write, { swarmId: a.id }), 409, "CONFLICT");
  });

  test("refuses an agent over the per-swarm cap (400) and leaves the swarm as it was", async () => {
    const full = await liveSwarm(100);
    const res = await api.call("POST", "/api/agents", keys.write, { swarmId: full.id });
    expect((await refused(res, 400, "VALIDATION_ERROR")).details).toMatchObject({ max: 100 });
    expect((await t.store.getSwarm(full.id))?.agentCount).toBe(100);
  });
});

describe("agent pause, resume and kill", () => {
  const move = (id: string, action: "pause" | "resume" | "kill", body: unknown = {}) =>
    action === "kill"
      ? api.call("DELETE", `/api/agents/${id}`, keys.write, body)
      : api.call("POST", `/api/agents/${id}/${action}`, keys.write, body);

  test("a running agent pauses, resumes and is killed; each move is one event", async () => {
    const id = await running((await liveSwarm(1)).agents[0] as string);
    const before = await t.countEvents();
    expect((await agent(await move(id, "pause"))).status).toBe("paused");
    expect((await agent(await move(id, "resume"))).status).toBe("running");
    const killed = await agent(await move(id, "kill", { reason: "done with it" }));
    expect(killed).toMatchObject({ status: "killed", completedAt: expect.any(String) });
    expect((await t.countEvents()) - before).toBe(3);
  });

  test("moves the state machine forbids are 409 INVALID_TRANSITION naming from and to", async () => {
    const id = (await liveSwarm(1)).agents[0] as string;
    expect((await refused(await move(id, "pause"), 409, "INVALID_TRANSITION")).details).toMatchObject({
      from: "idle",
      to: "paused",
    });
    await refused(await move(id, "resume"), 409, "INVALID_TRANSITION");
    await running(id);
    await refused(await move(id, "resume"), 409, "INVALID_TRANSITION");
    await agent(await move(id, "kill"));
    for (const action of ["pause", "resume", "kill"] as const) {
      await refused(await move(id, action), 409, "INVALID_TRANSITION");
    }
    await refused(await move(newId(), "pause"), 404, "NOT_FOUND");
  });

  test("a stale expectedVersion is 409 CONFLICT and changes nothing; the current one works", async () => {
    const id = await running((await liveSwarm(1)).agents[0] as string);
    const version = (await t.store.getAgent(id))?.version as number;
    const stale = await refused(await move(id, "pause", { expectedVersion: version - 1 }), 409, "CONFLICT");
    expect(stale.details).toMatchObject({ expectedVersion: version - 1, actualVersion: version });
    expect((await t.store.getAgent(id))?.status).toBe("running");
    expect((await agent(await move(id, "pause", { expectedVersion: version }))).status).toBe("paused");
  });
});
