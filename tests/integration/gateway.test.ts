import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import fc from "fast-check";
import type { AgentRecord } from "../../src/domain/agent.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { createApiKey } from "../../src/safety/api-keys.ts";
import { caller, gatewayWorld, OPERATOR_KEY } from "../gateway-helpers.ts";
import { until } from "../helpers.ts";

const world = await gatewayWorld();
const { provider, s, store } = world;

const logOf = (agent: AgentRecord) => readFileSync(runFiles(s.t.dir, agent.id, agent.retryCount).log, "utf8");

async function run(args: string[], budgetUsd = 5) {
  const before = provider.calls.length;
  const { swarm, agents } = await world.swarm(caller(...args), budgetUsd);
  const agent = await s.waitFor((agents[0] as AgentRecord).id);
  // A refusal kills the agent at once, while its process is still printing it: wait for its exit.
  await until(() => existsSync(runFiles(s.t.dir, agent.id, agent.retryCount).exit), 10_000);
  const calls = await store.listCalls({ agentId: agent.id });
  const budget = await store.getBudget("swarm", swarm.id);
  return { agent, calls, budget, seen: provider.calls.slice(before), log: logOf(agent) };
}

describe("the metering gateway", () => {
  for (const [api, mode] of [
    ["messages", "stream"],
    ["messages", "whole"],
    ["chat", "stream"],
    ["chat", "whole"],
    ["responses", "stream"],
    ["responses", "whole"],
  ] as const) {
    test(`${api} (${mode}): forwarded with the operator's key, settled from the provider's usage`, async () => {
      const { agent, calls, budget, seen } = await run([api, "2", mode, "OUT:25 say hi"]);
      expect(agent.status).toBe("completed");
      expect(agent.metering).toBe("reports"); // a plain command: the gateway meters its calls anyway
      expect(seen).toHaveLength(2);
      for (const call of seen) expect(call.authorization).toContain(OPERATOR_KEY);
      expect(calls.map((c) => c.status)).toEqual(["settled", "settled"]);
      for (const [i, call] of calls.entries()) {
        const upstream = seen[calls.length - 1 - i];
        expect(call.completionTokens).toBe(25);
        expect(call.promptTokens).toBe(upstream?.inputTokens as number);
        expect(call.reservedUnits).toBe(0);
        expect(call.costMicros).toBeGreaterThan(0);
      }
      const spent = calls.reduce((sum, c) => sum + c.costMicros, 0);
      expect(agent.costMicros).toBe(spent);
      expect(budget?.spentUnits).toBe(spent);
    });
  }

  test("a call whose room is smaller than its cap is capped to what fits, never over", async () => {
    // $0.005 left: claude-sonnet-4 output is 15 micro-$ a token, so 1000 tokens do not fit.
    const { calls, seen, budget } = await run(["messages", "1", "stream", "OUT:900 long"], 0.005);
    const call = calls[0];
    expect(call?.requestedMaxTokens).toBe(1000);
    expect(call?.maxTokens).toBeLessThan(1000);
    expect(seen[0]?.maxTokens).toBe(call?.maxTokens as number);
    expect(budget?.spentUnits).toBeLessThanOrEqual(budget?.allocatedUnits as number);
  });

  test("no room: refused in the provider's shape, the agent is killed for budget, no call goes upstream", async () => {
    const { agent, calls, seen, budget, log } = await run(["messages", "50", "whole", "OUT:200 spend"], 0.02);
    expect(agent.status).toBe("killed");
    expect(agent.error).toMatchObject({ reason: "budget" });
    const refused = calls.filter((c) => c.status === "refused");
    expect(refused.length).toBeGreaterThanOrEqual(1);
    const lastForwarded = Math.max(...seen.map((c) => c.at));
    expect(lastForwarded).toBeLessThanOrEqual(refused[refused.length - 1]?.startedAt as number);
    expect(seen.length).toBe(calls.filter((c) => c.status === "settled").length);
    expect(log).toContain(
      'refused 400 {"type":"error","error":{"type":"billing_error","message":"Dash budget',
    );
    expect(budget?.spentUnits).toBeLessThanOrEqual(budget?.allocatedUnits as number);
    expect(budget?.spentUnits).toBe(calls.reduce((sum, c) => sum + c.costMicros, 0));
    // A call it makes in its last moments gets the same refusal, not an authentication error.
    const draft = {
      ...(calls[0] as (typeof calls)[number]),
      id: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
      stream: false,
    };
    const ask = { inputBound: 10, requestedMaxTokens: 10, floorTokens: 1, price: null, cacheWrite: false };
    const late = await world.api.t.lifecycle.admitCall(draft, ask, false);
    expect(late.result?.call).toMatchObject({ status: "refused", httpStatus: 400 });
    expect(late.result?.call.error).toContain("stopped by its budget");
  });

  test("a provider error releases the reservation: nothing spent", async () => {
    const { calls, budget } = await run(["chat", "1", "whole", "FAIL:503"]);
    expect(calls[0]).toMatchObject({ status: "released", httpStatus: 503, costMicros: 0, reservedUnits: 0 });
    expect(budget?.spentUnits).toBe(0);
  });

  test("a client that hangs up mid-stream is settled on what was delivered", async () => {
    const { calls, budget } = await run(["messages", "1", "stream", "HANG OUT:300", "cut"]);
    await Bun.sleep(100);
    const [call] = await store.listCalls({ agentId: calls[0]?.agentId as string });
    expect(call?.status).toBe("settled");
    expect(call?.error).toContain("client went away");
    expect(call?.reservedUnits).toBe(0);
    expect((await store.getBudget("swarm", budget?.entityId as string))?.spentUnits).toBe(
      call?.costMicros as number,
    );
  });

  test("agents never see the operator's key; a token that is not an agent's is refused", async () => {
    const { log } = await run(["messages", "0", "whole", "x"]);
    expect(log).not.toContain(OPERATOR_KEY);
    const res = await fetch(`${world.url}/gateway/anthropic/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": world.api.keys.admin },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [] }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "permission_error" } });
    const none = await fetch(`${world.url}/gateway/openai/v1/chat/completions`, {
      method: "POST",
      body: "{}",
    });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { type: "invalid_api_key" } });
  });
});

describe("what the gateway's calls leave behind", () => {
  test("the openai runtime goes through the gateway by itself and is counted once", async () => {
    const created = await world.api.t.lifecycle.createSwarm({
      name: "openai-through",
      task: "OUT:12 write a haiku",
      initialAgents: 1,
      budget: { amount: 1, currency: "USD", threshold: 75, actions: { critical: "notify" } },
      config: { runtime: "openai", model: "gpt-5.5", fileSandbox: false, maxRetries: 0 },
    });
    await world.api.t.lifecycle.moveSwarm(created.swarm.id, { to: "active" });
    const agent = await s.waitFor((created.agents[0] as AgentRecord).id);
    expect(agent.status).toBe("completed");
    expect(agent.metering).toBe("gateway");
    expect(agent.reservedUnits).toBe(0);
    const calls = await store.listCalls({ agentId: agent.id });
    expect(calls.map((c) => [c.api, c.status, c.completionTokens])).toEqual([["openai-chat", "settled", 12]]);
    // Its own usage line is not counted again: the agent's cost is its call's.
    expect(agent.costMicros).toBe(calls[0]?.costMicros as number);
    expect((await store.getBudget("swarm", created.swarm.id))?.spentUnits).toBe(agent.costMicros);
  });

  test("GET /api/agents/:id/calls, the budget's spend by model and /metrics", async () => {
    const { agent, calls } = await run(["chat", "3", "whole", "OUT:7 count"]);
    const [status, page] = await world.api.json<{
      calls: Array<Record<string, unknown>>;
      nextCursor: string | null;
    }>("GET", `/api/agents/${agent.id}/calls?limit=2`, world.api.keys.read);
    expect(status).toBe(200);
    expect(page.calls.map((c) => c.id)).toEqual(calls.slice(0, 2).map((c) => c.id));
    expect(page.calls[0]).toMatchObject({
      status: "settled",
      admitted: true,
      completionTokens: 7,
      model: "gpt-5.5",
    });
    const [, older] = await world.api.json<{ calls: unknown[]; nextCursor: string | null }>(
      "GET",
      `/api/agents/${agent.id}/calls?cursor=${page.nextCursor}`,
      world.api.keys.read,
    );
    expect(older).toMatchObject({ calls: [{ id: calls[2]?.id }], nextCursor: null });
    const missing = await world.api.call(
      "GET",
      "/api/agents/01ARZ3NDEKTSV4RRFFQ69G5FAV/calls",
      world.api.keys.read,
    );
    expect(missing.status).toBe(404);
    const [, budgets] = await world.api.json<{ byModel: Array<Record<string, number | string>> }>(
      "GET",
      `/api/budget?swarmId=${agent.swarmId}`,
      world.api.keys.read,
    );
    expect(budgets.byModel).toEqual([
      {
        model: "gpt-5.5",
        calls: 3,
        refused: 0,
        promptTokens: calls.reduce((n, c) => n + c.promptTokens, 0),
        completionTokens: 21,
        cost: calls.reduce((n, c) => n + c.costMicros, 0) / 1e6,
      },
    ]);
    const metrics = await (await world.api.call("GET", "/metrics", world.api.keys.read)).text();
    expect(metrics).toMatch(/dash_model_calls_total\{model="gpt-5.5",status="settled"\} \d+/);
    expect(metrics).toMatch(/dash_model_spent_usd_total\{model="gpt-5.5"\} [\d.]+/);
  });

  test("calls left open by a server that died are closed as lost and hold nothing after the restart", async () => {
    const { agents, swarm } = await world.swarm(caller("messages", "1", "stream", "HANG DELAY:50"), 1);
    const id = (agents[0] as AgentRecord).id;
    const open = async () => (await store.listCalls({ agentId: id })).filter((c) => c.status === "open");
    const end = Date.now() + 5000;
    while ((await open()).length === 0 && Date.now() < end) await Bun.sleep(10);
    const budget = await store.getBudget("swarm", swarm.id);
    expect(await store.reservedUnits(budget as NonNullable<typeof budget>)).toBeGreaterThan(0);
    // What the next start does before it serves (src/api/app.ts): the dead server's calls.
    const lost = await store.loseOpenCalls(Date.now());
    expect(lost.map((c) => c.status)).toContain("lost");
    expect(await open()).toEqual([]);
    const after = await store.getBudget("swarm", swarm.id);
    const stepHeld = (await store.getAgent(id))?.reservedUnits ?? 0;
    expect(await store.reservedUnits(after as NonNullable<typeof after>)).toBe(stepHeld);
    await world.api.t.lifecycle.moveAgent(id, { to: "killed" });
  });
});

describe("streams pass through as they arrive", () => {
  test("the first event reaches the client while the call is still open; a bad body is a provider-shaped 400", async () => {
    // A running agent that only sleeps; this test calls as it would, with a key scoped to it.
    const { agents } = await world.swarm(["sleep", "30"], 20);
    const id = (agents[0] as AgentRecord).id;
    await s.waitFor(id, ["running"]);
    const { key } = await createApiKey(store, {
      name: `agent ${id}`,
      permissions: ["read", "write"],
      scope: { swarmId: (agents[0] as AgentRecord).swarmId, agentId: id },
    });
    const res = await fetch(`${world.url}/gateway/anthropic/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": key, "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "DELAY:40 OUT:10" }],
      }),
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("message_start");
    const callId = res.headers.get("x-dash-call-id") as string;
    expect((await store.getCall(callId))?.status).toBe("open");
    while (!(await reader.read()).done) {}
    await Bun.sleep(20);
    expect(await store.getCall(callId)).toMatchObject({ status: "settled", completionTokens: 10 });
    for (const body of [
      "not json",
      "[]",
      JSON.stringify({ model: 7, messages: [] }),
      JSON.stringify({ model: "m", max_tokens: 1e12, messages: [] }),
    ]) {
      const bad = await fetch(`${world.url}/gateway/anthropic/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key },
        body,
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    }
    const unknown = await fetch(`${world.url}/gateway/openai/v1/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: "{}",
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: "not_found" } });
    // Whatever a client sends: a provider-shaped answer, never a 5xx, and the ledger stays exact.
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string()),
    );
    const fuzzed = fc.record(
      {
        model: fc.oneof(fc.constant("claude-sonnet-4-5"), fc.constant("gpt-5.5"), value),
        max_tokens: fc.oneof(fc.integer({ min: -5, max: 5000 }), value),
        max_output_tokens: fc.oneof(fc.integer({ min: -5, max: 5000 }), value),
        stream: fc.oneof(fc.boolean(), value),
        messages: fc.oneof(fc.constant([{ role: "user", content: "OUT:3 hi" }]), value),
        input: fc.oneof(fc.constant("OUT:3 hi"), value),
      },
      { requiredKeys: [] },
    );
    const path = fc.constantFrom(
      "anthropic/v1/messages",
      "openai/v1/chat/completions",
      "openai/v1/responses",
    );
    await fc.assert(
      fc.asyncProperty(path, fuzzed, async (p, b) => {
        const res = await fetch(`${world.url}/gateway/${p}`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}` },
          body: JSON.stringify(b),
        });
        expect(res.status).toBeLessThan(500);
        await res.text();
      }),
      { numRuns: 150, seed: 23 },
    );
    await Bun.sleep(50);
    const calls = await store.listCalls({ agentId: id });
    expect(calls.filter((c) => c.status === "open")).toEqual([]);
    const ledger = await store.getBudget("swarm", (agents[0] as AgentRecord).swarmId);
    expect(ledger?.spentUnits).toBe(calls.reduce((n, c) => n + c.costMicros, 0));
    expect(ledger?.spentUnits).toBeLessThanOrEqual(ledger?.allocatedUnits as number);
    await world.api.t.lifecycle.moveAgent(id, { to: "killed" }).catch(() => null); // or its budget did
  });
});
