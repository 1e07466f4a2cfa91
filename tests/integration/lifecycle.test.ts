import { afterAll, describe, expect, test } from "bun:test";
import { AgentResponseSchema, toAgentResponse } from "../../src/domain/agent.ts";
import { ApiKeySchema, hashApiKey, toApiKeyResponse } from "../../src/domain/api-key.ts";
import { BudgetSchema, toBudgetResponse, toSwarmBudget } from "../../src/domain/budget.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { DashError } from "../../src/domain/errors.ts";
import { EventSchema, toEventResponse } from "../../src/domain/event.ts";
import { newId } from "../../src/domain/ids.ts";
import { SwarmResponseSchema, toSwarmResponse } from "../../src/domain/swarm.ts";
import { testLifecycle } from "../helpers.ts";

const t = testLifecycle({ maxAgentsPerSwarm: 5, defaultBudget: { amount: 2.5, currency: "USD" } });
afterAll(() => t.close());

describe("creating swarms and agents", () => {
  test("the PRD §5.2 example: swarm, budget and its agents in one transaction, shaped as the PRD says", async () => {
    const { swarm, agents } = await t.lifecycle.createSwarm({
      name: "refactor-auth",
      task: "Refactor authentication module to use JWT tokens; don't break `login` | logout & $SESSION",
      initialAgents: 3,
      strategy: "parallel",
      budget: { amount: 50, currency: "USD", threshold: 80 },
      config: {
        model: "claude-sonnet-4-20250514",
        timeout: 600000,
        fileSandbox: true,
        allowedPaths: ["/workspace/auth"],
      },
    });
    expect(swarm.agentCount).toBe(3);
    expect(agents.map((a) => a.name)).toEqual(["refactor-auth-1", "refactor-auth-2", "refactor-auth-3"]);
    const budget = await t.store.getBudget("swarm", swarm.id);
    expect(budget?.warningThreshold).toBe(80);
    const response = toSwarmResponse(swarm, toSwarmBudget(budget as never));
    expect(SwarmResponseSchema.parse(response)).toEqual(response);
    expect(response.budget).toEqual({ allocated: 50, spent: 0, currency: "USD", remaining: 50 });
    expect(BudgetSchema.parse(toBudgetResponse(budget as never)).allocated).toBe(50);
    for (const agent of await t.store.listAgents({ swarmId: swarm.id })) {
      expect(AgentResponseSchema.parse(toAgentResponse(agent))).toEqual(toAgentResponse(agent));
    }
    expect(t.published.slice(-4).map((e) => e.type)).toEqual([
      "swarm.created",
      "agent.spawned",
      "agent.spawned",
      "agent.spawned",
    ]);
    for (const e of t.published) expect(EventSchema.parse(toEventResponse(e)).id).toBe(e.id);
  });

  test("a swarm without a budget gets the configured default", async () => {
    const { swarm } = await t.lifecycle.createSwarm({ name: "nobudget", task: "t" });
    expect(toSwarmBudget((await t.store.getBudget("swarm", swarm.id)) as never).allocated).toBe(2.5);
  });

  test("bad input is a VALIDATION_ERROR naming the field, and writes nothing", async () => {
    const events = await t.countEvents();
    const bad = t.lifecycle.createSwarm({ name: "x", task: "t", initialAgents: 101 });
    await expect(bad).rejects.toThrow(/initialAgents/);
    await expect(t.lifecycle.createSwarm({ name: "x", task: "t", initialAgents: 6 })).rejects.toThrow(
      /cap is 5/,
    );
    const unknownKey = t.lifecycle.createSwarm({ name: "x", task: "t", config: { modle: "typo" } } as never);
    await expect(unknownKey).rejects.toThrow(/modle/);
    try {
      await t.lifecycle.createSwarm({ name: "", task: "t" });
    } catch (error) {
      expect(error).toBeInstanceOf(DashError);
      const body = await (error as DashError).getResponse().json();
      expect(ErrorResponseSchema.parse(body).error.code).toBe("VALIDATION_ERROR");
      expect((error as DashError).getResponse().status).toBe(400);
    }
    expect(await t.countEvents()).toBe(events);
  });

  test("spawnAgent adds to a live swarm up to the cap, and refuses a finished swarm", async () => {
    const { swarm } = await t.lifecycle.createSwarm({ name: "grow", task: "grow", initialAgents: 3 });
    const spawned = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => t.lifecycle.spawnAgent({ swarmId: swarm.id, name: `extra-${i}` })),
    );
    expect(spawned.filter((s) => s.status === "fulfilled").length).toBe(2);
    expect((await t.store.getSwarm(swarm.id))?.agentCount).toBe(5);
    const parent = (await t.store.listAgents({ swarmId: swarm.id, limit: 1 }))[0];
    const { swarm: other } = await t.lifecycle.createSwarm({ name: "done", task: "t" });
    const child = await t.lifecycle.spawnAgent({ swarmId: other.id, parentId: null, task: "child task" });
    expect(child).toMatchObject({ status: "idle", task: "child task", model: "claude-sonnet-4-20250514" });
    await t.lifecycle.moveSwarm(other.id, { to: "destroyed" });
    await expect(t.lifecycle.spawnAgent({ swarmId: other.id })).rejects.toThrow(
      /is destroyed: it takes no new agents/,
    );
    await expect(t.lifecycle.spawnAgent({ swarmId: newId() })).rejects.toThrow(/not found/);
    expect(parent?.swarmId).toBe(swarm.id);
  });
});

describe("progress, usage and budgets", () => {
  test("progress is taken from a running agent only", async () => {
    const { agents } = await t.lifecycle.createSwarm({ name: "prog", task: "t" });
    const id = agents[0]?.id as string;
    await expect(t.lifecycle.reportProgress(id, { current: 1, total: 2 })).rejects.toThrow(/is idle/);
    await t.lifecycle.moveAgent(id, { to: "spawning" });
    await t.lifecycle.moveAgent(id, { to: "running", sessionId: "session_abc" });
    const agent = await t.lifecycle.reportProgress(id, { current: 3, total: 5 });
    expect(toAgentResponse(agent).progress).toEqual({ current: 3, total: 5, percentage: 60 });
    expect(agent.sessionId).toBe("session_abc");
    expect(t.published.at(-1)?.data).toMatchObject({ progress: { percentage: 60 } });
    await expect(t.lifecycle.reportProgress(id, { current: 6, total: 5 })).rejects.toThrow(/must not exceed/);
  });

  test("usage adds exactly to agent and budget, in any state, in micro-dollars", async () => {
    const { swarm, agents } = await t.lifecycle.createSwarm({
      name: "cost",
      task: "t",
      initialAgents: 2,
      budget: { amount: 1 },
    });
    const [a, b] = agents.map((x) => x.id) as [string, string];
    for (let i = 0; i < 10; i++)
      await t.lifecycle.recordUsage(a, { promptTokens: 10, completionTokens: 5, costUsd: 0.1 });
    await t.lifecycle.moveAgent(b, { to: "killed" });
    const { agent, budgets } = await t.lifecycle.recordUsage(b, {
      promptTokens: 1,
      completionTokens: 1,
      costUsd: 0.0000015,
    });
    expect(agent.costMicros).toBe(2);
    expect((await t.store.getAgent(a))?.costMicros).toBe(1_000_000);
    expect(budgets[0]?.spentUnits).toBe(1_000_002);
    expect(toSwarmBudget((await t.store.getBudget("swarm", swarm.id)) as never)).toEqual({
      allocated: 1,
      spent: 1.000002,
      currency: "USD",
      remaining: -0.000002,
    });
    await expect(
      t.lifecycle.recordUsage(a, { promptTokens: -1, completionTokens: 0, costUsd: 0 }),
    ).rejects.toThrow(/promptTokens/);
    await expect(
      t.lifecycle.recordUsage(newId(), { promptTokens: 1, completionTokens: 0, costUsd: 0 }),
    ).rejects.toThrow(/not found/);
  });

  test("token budgets count tokens", async () => {
    const { swarm, agents } = await t.lifecycle.createSwarm({
      name: "tok",
      task: "t",
      budget: { amount: 10_000, currency: "tokens" },
    });
    await t.lifecycle.recordUsage(agents[0]?.id as string, {
      promptTokens: 700,
      completionTokens: 300,
      costUsd: 0.5,
    });
    expect((await t.store.getBudget("swarm", swarm.id))?.spentUnits).toBe(1000);
  });

  test("allocating adds to the budget and is evented; bad amounts and stale versions are refused", async () => {
    const { swarm } = await t.lifecycle.createSwarm({ name: "alloc", task: "t", budget: { amount: 5 } });
    const budget = await t.lifecycle.allocateBudget({ swarmId: swarm.id }, 2.5);
    expect(budget.allocatedUnits).toBe(7_500_000);
    expect(t.published.at(-1)).toMatchObject({
      type: "budget.allocated",
      data: { added: 2.5, allocated: 7.5 },
    });
    await expect(t.lifecycle.allocateBudget({ swarmId: swarm.id }, -1)).rejects.toThrow(/positive/);
    await expect(t.lifecycle.allocateBudget({ swarmId: swarm.id }, 1, budget.version - 1)).rejects.toThrow(
      /changed by someone else/,
    );
    await expect(t.lifecycle.allocateBudget({ swarmId: newId() }, 1)).rejects.toThrow(/not found/);
  });
});

describe("store reads and API keys", () => {
  test("list filters and cursor pagination in id order", async () => {
    const { swarm } = await t.lifecycle.createSwarm({ name: "page", task: "t", initialAgents: 5 });
    const all = await t.store.listAgents({ swarmId: swarm.id });
    const first = await t.store.listAgents({ swarmId: swarm.id, limit: 2 });
    const next = await t.store.listAgents({ swarmId: swarm.id, limit: 2, afterId: first.at(-1)?.id });
    expect([...first, ...next].map((a) => a.id)).toEqual(all.slice(0, 4).map((a) => a.id));
    await t.lifecycle.moveAgent(all[0]?.id as string, { to: "killed" });
    expect((await t.store.listAgents({ swarmId: swarm.id, status: "killed" })).length).toBe(1);
    await t.lifecycle.moveSwarm(swarm.id, { to: "active" });
    expect((await t.store.listSwarms({ status: "active" })).map((s) => s.id)).toContain(swarm.id);
    expect((await t.store.listEvents({ types: ["agent.killed"], limit: 1 })).length).toBe(1);
  });

  test("API keys are stored as SHA-256 only, found by hash, revoked and touched", async () => {
    const raw = "dash_api_key_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const key = {
      id: newId(),
      name: "ci",
      keyHash: hashApiKey(raw),
      permissions: ["read", "write"] as ("read" | "write")[],
      createdAt: Date.now(),
      lastUsedAt: null,
      expiresAt: null,
      isActive: true,
      scope: null,
    };
    await t.store.insertApiKey(key);
    // What the store holds, read back through it: the hash, never the key.
    const stored = await t.store.listApiKeys();
    expect(JSON.stringify(stored)).not.toContain(raw);
    expect(await t.store.findApiKeyByHash(hashApiKey(raw))).toEqual(key);
    expect(await t.store.findApiKeyByHash(hashApiKey(`${raw}x`))).toBeNull();
    const revoked = await t.store.updateApiKey(key.id, { isActive: false, lastUsedAt: 42 });
    expect(revoked).toMatchObject({ isActive: false, lastUsedAt: 42 });
    expect(ApiKeySchema.parse(toApiKeyResponse(revoked as never)).active).toBe(false);
    expect((await t.store.listApiKeys()).length).toBe(1);
    expect(await t.store.updateApiKey(newId(), { isActive: false })).toBeNull();
  });
});
