import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { AgentRecord } from "../../src/domain/agent.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { caller, gatewayWorld, OPERATOR_KEY } from "../gateway-helpers.ts";

const world = await gatewayWorld();
const { provider, s, store } = world;

const logOf = (agent: AgentRecord) => readFileSync(runFiles(s.t.dir, agent.id, agent.retryCount).log, "utf8");

async function run(args: string[], budgetUsd = 5) {
  const before = provider.calls.length;
  const { swarm, agents } = await world.swarm(caller(...args), budgetUsd);
  const agent = await s.waitFor((agents[0] as AgentRecord).id);
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
      'refused 400 {"type":"error","error":{"type":"invalid_request_error","message":"Dash budget',
    );
    expect(budget?.spentUnits).toBeLessThanOrEqual(budget?.allocatedUnits as number);
    expect(budget?.spentUnits).toBe(calls.reduce((sum, c) => sum + c.costMicros, 0));
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
