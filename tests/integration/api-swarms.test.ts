import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BudgetSchema } from "../../src/domain/budget.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { newId } from "../../src/domain/ids.ts";
import { type SwarmResponse, SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { BudgetListSchema as BudgetList } from "../../src/domain/wire.ts";
import { testServer } from "../api-helpers.ts";

const api = await testServer();
const { t, keys } = api;
afterAll(() => api.close());

async function liveSwarm(initialAgents: number, budget?: { amount: number; currency?: "USD" | "tokens" }) {
  const { swarm, agents } = await t.lifecycle.createSwarm({ name: "sw", task: "t", initialAgents, budget });
  await t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  return { id: swarm.id, agents: agents.map((a) => a.id) };
}

async function run(id: string | undefined) {
  await t.lifecycle.moveAgent(id as string, { to: "spawning" });
  await t.lifecycle.moveAgent(id as string, { to: "running" });
}

async function swarm(res: Response): Promise<SwarmResponse> {
  const body: unknown = await res.json();
  expect([res.status, body]).toEqual([200, expect.anything()]);
  return SwarmResponseSchema.parse(body);
}

async function refused(res: Response, status: number, code: string) {
  const { error } = ErrorResponseSchema.parse(await res.json());
  expect([res.status, error.code]).toEqual([status, code]);
  return error;
}

const statuses = async (swarmId: string) =>
  Object.fromEntries((await t.store.listAgents({ swarmId })).map((a) => [a.id, a.status]));
const post = (path: string, body: unknown = {}) => api.call("POST", path, keys.write, body);

describe("allowedPaths", () => {
  test("are stored realpath'd; '..', symlinks, missing, relative and DASH_HOME paths are refused naming the path", async () => {
    const outside = realpathSync(mkdtempSync(join(tmpdir(), "dash-grant-")));
    mkdirSync(join(outside, "auth"));
    symlinkSync(join(outside, "auth"), join(outside, "link"));
    try {
      const create = (allowedPaths: string[]) =>
        api.call("POST", "/api/swarm", keys.admin, { name: "g", task: "t", config: { allowedPaths } });
      const created = SwarmResponseSchema.parse(await (await create([`${outside}/auth/`])).json());
      expect((await t.store.getSwarm(created.id))?.config.allowedPaths).toEqual([`${outside}/auth`]);
      for (const [path, why] of [
        [`${outside}/auth/../auth`, "must not contain '..'"],
        [`${outside}/link`, "goes through a symlink"],
        [`${outside}/nope`, "does not exist"],
        ["relative/dir", "must be an absolute path"],
        [t.dir, "which agents may not reach"],
        ["/etc", "overlaps the system directory /etc"],
      ] as const) {
        const error = await refused(await create([path]), 400, "VALIDATION_ERROR");
        expect(error.message).toBe(`config.allowedPaths[0] "${path}" ${error.message.split(`" `)[1]}`);
        expect(error.message).toContain(why);
        expect(error.details).toMatchObject({ field: "config.allowedPaths[0]", path });
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("swarm scale", () => {
  test("scaling up adds idle agents up to the target and records swarm.scaled", async () => {
    const s = await liveSwarm(2);
    expect((await swarm(await post(`/api/swarm/${s.id}/scale`, { target: 5 }))).agentCount).toBe(5);
    const now = await statuses(s.id);
    expect(Object.values(now)).toEqual(["idle", "idle", "idle", "idle", "idle"]);
    const scaled = t.published.filter((e) => e.type === "swarm.scaled" && e.source === s.id);
    expect(scaled.map((e) => e.data)).toMatchObject([{ from: 2, to: 5, removed: [] }]);
  });

  test("scaling down kills idle agents first, then the newest running ones", async () => {
    const s = await liveSwarm(4);
    const [a0, a1, a2, a3] = s.agents;
    await run(a0);
    await run(a2);
    await swarm(await post(`/api/swarm/${s.id}/scale`, { target: 1 }));
    expect(await statuses(s.id)).toEqual({
      [a0 as string]: "running",
      [a1 as string]: "killed",
      [a2 as string]: "killed",
      [a3 as string]: "killed",
    });
    await swarm(await post(`/api/swarm/${s.id}/scale`, { target: 0 }));
    expect(Object.values(await statuses(s.id))).toEqual(["killed", "killed", "killed", "killed"]);
  });

  test("refuses a target over the cap or negative (400), a finished swarm (409), a stale version (409)", async () => {
    const s = await liveSwarm(1);
    await refused(await post(`/api/swarm/${s.id}/scale`, { target: 101 }), 400, "VALIDATION_ERROR");
    await refused(await post(`/api/swarm/${s.id}/scale`, { target: -1 }), 400, "VALIDATION_ERROR");
    await refused(await post(`/api/swarm/${newId()}/scale`, { target: 1 }), 404, "NOT_FOUND");
    const version = (await t.store.getSwarm(s.id))?.version as number;
    const stale = { target: 3, expectedVersion: version + 1 };
    await refused(await post(`/api/swarm/${s.id}/scale`, stale), 409, "CONFLICT");
    expect(Object.keys(await statuses(s.id))).toHaveLength(1);
    await swarm(await api.call("DELETE", `/api/swarm/${s.id}`, keys.write));
    await refused(await post(`/api/swarm/${s.id}/scale`, { target: 2 }), 409, "INVALID_TRANSITION");
  });

  test("scaling up counts every agent the swarm ever held, finished ones too, against the cap (400)", async () => {
    const s = await liveSwarm(98);
    await swarm(await post(`/api/swarm/${s.id}/scale`, { target: 95 }));
    const error = await refused(
      await post(`/api/swarm/${s.id}/scale`, { target: 100 }),
      400,
      "VALIDATION_ERROR",
    );
    expect(error.details).toMatchObject({ max: 100, agentCount: 98 });
    expect((await swarm(await post(`/api/swarm/${s.id}/scale`, { target: 97 }))).agentCount).toBe(100);
  });
});

describe("swarm pause and resume", () => {
  test("pausing a swarm pauses its running agents; resuming resumes them; idle ones stay idle", async () => {
    const s = await liveSwarm(3);
    const [a0, a1, a2] = s.agents as [string, string, string];
    await run(a0);
    await run(a1);
    expect((await swarm(await post(`/api/swarm/${s.id}/pause`, { reason: "lunch" }))).status).toBe("paused");
    expect(await statuses(s.id)).toEqual({ [a0]: "paused", [a1]: "paused", [a2]: "idle" });
    await refused(await post(`/api/swarm/${s.id}/pause`), 409, "INVALID_TRANSITION");
    expect((await swarm(await post(`/api/swarm/${s.id}/resume`))).status).toBe("active");
    expect(await statuses(s.id)).toEqual({ [a0]: "running", [a1]: "running", [a2]: "idle" });
    await refused(await post(`/api/swarm/${s.id}/resume`), 409, "INVALID_TRANSITION");
    await refused(await post(`/api/swarm/${newId()}/pause`), 404, "NOT_FOUND");
  });
});

describe("budget", () => {
  test("GET /api/budget lists every swarm budget with totals per currency", async () => {
    const fresh = await testServer();
    try {
      const create = (body: unknown) => fresh.call("POST", "/api/swarm", fresh.keys.write, body);
      const usd = SwarmResponseSchema.parse(
        await (await create({ name: "u", task: "t", budget: { amount: 5 } })).json(),
      );
      await create({ name: "v", task: "t", budget: { amount: 2.5 } });
      await create({ name: "k", task: "t", budget: { amount: 1000, currency: "tokens" } });
      const [agent] = await fresh.t.store.listAgents({ swarmId: usd.id });
      await fresh.t.lifecycle.recordUsage(agent?.id as string, {
        promptTokens: 7,
        completionTokens: 3,
        costUsd: 1.25,
      });
      const all = BudgetList.parse(await (await fresh.call("GET", "/api/budget", fresh.keys.read)).json());
      expect(all.budgets).toHaveLength(3);
      expect(all.totals).toEqual([
        { currency: "USD", allocated: 7.5, spent: 1.25, remaining: 6.25 },
        { currency: "tokens", allocated: 1000, spent: 0, remaining: 1000 },
      ]);
      const one = await fresh.call("GET", `/api/budget?swarmId=${usd.id}`, fresh.keys.read);
      expect(BudgetList.parse(await one.json()).budgets).toMatchObject([{ entityId: usd.id, spent: 1.25 }]);
      await refused(
        await fresh.call("GET", `/api/budget?swarmId=${newId()}`, fresh.keys.read),
        404,
        "NOT_FOUND",
      );
    } finally {
      await fresh.close();
    }
  });

  test("POST /api/budget/allocate adds to the allocation; refuses bad amounts, unknown swarms, stale versions", async () => {
    const s = await liveSwarm(1, { amount: 5 });
    const res = await post("/api/budget/allocate", { swarmId: s.id, amount: 2.5 });
    expect(BudgetSchema.parse(await res.json())).toMatchObject({ allocated: 7.5, remaining: 7.5 });
    expect(t.published.at(-1)).toMatchObject({
      type: "budget.allocated",
      data: { added: 2.5, allocated: 7.5 },
    });
    await refused(await post("/api/budget/allocate", { swarmId: s.id, amount: 0 }), 400, "VALIDATION_ERROR");
    await refused(await post("/api/budget/allocate", { swarmId: newId(), amount: 1 }), 404, "NOT_FOUND");
    const version = (await t.store.getBudget("swarm", s.id))?.version as number;
    const stale = { swarmId: s.id, amount: 1, expectedVersion: version - 1 };
    await refused(await post("/api/budget/allocate", stale), 409, "CONFLICT");
    expect((await t.store.getBudget("swarm", s.id))?.allocatedUnits).toBe(7_500_000);
  });

  test("a swarm that spent its allocation refuses new agents with 403 BUDGET_EXCEEDED until topped up", async () => {
    const s = await liveSwarm(1, { amount: 1 });
    await t.lifecycle.recordUsage(s.agents[0] as string, {
      promptTokens: 100,
      completionTokens: 50,
      costUsd: 1,
    });
    const spawn = () => post("/api/agents", { swarmId: s.id });
    const error = await refused(await spawn(), 403, "BUDGET_EXCEEDED");
    expect(error.details).toMatchObject({ swarmId: s.id, allocated: 1, spent: 1, currency: "USD" });
    await refused(await post(`/api/swarm/${s.id}/scale`, { target: 3 }), 403, "BUDGET_EXCEEDED");
    expect(Object.keys(await statuses(s.id))).toHaveLength(1);
    await post("/api/budget/allocate", { swarmId: s.id, amount: 1 });
    expect((await spawn()).status).toBe(201);
  });
});

test("a swarm says which runtime it runs and whether it is demo load", async () => {
  const created = async (body: unknown) => {
    const res = await post("/api/swarm", body);
    expect(res.status).toBe(201);
    return SwarmResponseSchema.parse(await res.json());
  };
  const demo = await created({ name: "d", task: "t", config: { runtime: "demo" }, initialAgents: 1 });
  expect([demo.runtime, demo.demo]).toEqual(["demo", true]);
  const plain = await created({ name: "p", task: "t", initialAgents: 1 });
  expect([plain.runtime, plain.demo]).toEqual([null, false]);
});
