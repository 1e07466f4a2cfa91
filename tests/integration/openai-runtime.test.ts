/**
 * The `openai` runtime end to end: real agents (the dash binary under the shim) call the fake
 * OpenAI-compatible provider on 127.0.0.1; Dash records the tokens the endpoint reported, priced
 * by the table or the preset, retries 429s and fails at once on a 400.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RuntimePreset } from "../../src/runtimes/presets.ts";
import { testScheduler } from "../agents-helpers.ts";
import { startFakeProvider, USAGE } from "../fake-provider.ts";

const provider = startFakeProvider();
process.env.DASH_TEST_OPENAI_KEY = "sk-dash-test";
const base = {
  kind: "openai",
  baseUrl: `${provider.url}/v1`,
  apiKeyEnv: "DASH_TEST_OPENAI_KEY",
  retryBaseMs: 10,
};
const presets: Record<string, RuntimePreset> = {
  "fake-openai": { ...base } as RuntimePreset,
  "fake-openai-stream": { ...base, stream: true, price: { input: 2, output: 4 } } as RuntimePreset,
  "fake-openai-short": { ...base, maxAttempts: 2 } as RuntimePreset,
};
const s = await testScheduler({ presets });
afterAll(async () => {
  await s.close();
  provider.stop();
});

async function run(runtime: string, task: string, model = "gpt-4o-mini") {
  const { swarm, agents } = await s.t.lifecycle.createSwarm({
    name: `openai-${Math.random().toString(36).slice(2, 8)}`,
    task,
    initialAgents: 1,
    config: { runtime, model, maxRetries: 0 },
  });
  await s.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  const agent = await s.waitFor(agents[0]?.id as string);
  const log = readFileSync(join(s.t.dir, "runs", agent.id, "output.log"), "utf8");
  const calls = provider.requests.filter((r) => JSON.stringify(r.body).includes(task));
  return { agent, log, calls };
}

test("a chat completion: the answer is the result, tokens from the response, cost from the price table", async () => {
  const { agent, log, calls } = await run("fake-openai", "TASK: summarise the plan");
  expect(agent.status).toBe("completed");
  expect(agent.result).toBe("done: summarise the plan");
  expect([agent.promptTokens, agent.completionTokens]).toEqual([USAGE.input, USAGE.output]);
  // gpt-4o-mini: $0.15 / $0.60 per million tokens.
  expect(agent.costMicros).toBe(Math.round(USAGE.input * 0.15 + USAGE.output * 0.6));
  expect([agent.progressCurrent, agent.progressTotal]).toEqual([1, 1]);
  expect(log).toContain("done: summarise the plan");
  expect(calls).toHaveLength(1);
  expect(calls[0]?.authorization).toBe("Bearer sk-dash-test");
  expect(calls[0]?.body.model).toBe("gpt-4o-mini");
});

test("streaming, with the preset's own price", async () => {
  const { agent, calls } = await run("fake-openai-stream", "TASK: stream it", "local-llama");
  expect(agent.status).toBe("completed");
  expect(agent.result).toBe("done: stream it");
  expect(calls[0]?.body.stream).toBe(true);
  expect(agent.costMicros).toBe(USAGE.input * 2 + USAGE.output * 4);
});

test("429s are retried with backoff, then the answer counts once", async () => {
  const { agent, log, calls } = await run("fake-openai", "TASK: busy one BUSY:2");
  expect(agent.status).toBe("completed");
  expect(calls.map((c) => c.status)).toEqual([429, 429, 200]);
  expect(log).toContain("HTTP 429");
  expect(log).toContain("retrying");
  expect(agent.promptTokens).toBe(USAGE.input);
});

test("a 400 fails at once with the provider's message; a 503 after maxAttempts", async () => {
  const refused = await run("fake-openai", "TASK: refused FAIL:400");
  expect(refused.agent.status).toBe("failed");
  expect((refused.agent.error as { message: string }).message).toBe(
    "HTTP 400: fake provider refuses with 400",
  );
  expect(refused.calls).toHaveLength(1);
  const down = await run("fake-openai-short", "TASK: down FAIL:503");
  expect(down.agent.status).toBe("failed");
  expect((down.agent.error as { message: string }).message).toContain("after 2 attempts");
  expect(down.calls).toHaveLength(2);
});

test("a model with no price costs 0 and the log says why", async () => {
  const { agent, log } = await run("fake-openai", "TASK: unpriced", "my-local-model");
  expect(agent.status).toBe("completed");
  expect(agent.costMicros).toBe(0);
  expect(agent.promptTokens).toBe(USAGE.input);
  expect(log).toContain('no price for model "my-local-model"');
});
