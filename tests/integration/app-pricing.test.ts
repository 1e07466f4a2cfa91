import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type App, startApp } from "../../src/api/app.ts";
import { loadConfig } from "../../src/config.ts";
import { type AgentResponse, AgentResponseSchema } from "../../src/domain/agent.ts";
import { createLogger } from "../../src/log.ts";
import { ROOT, tempHome, until } from "../helpers.ts";

// config.yaml `pricing` reaches the runtimes through the server's start-up: a Codex transcript
// (tokens, no cost) is priced at the operator's price for its model, keyed like the built-in table.
const home = tempHome("dash-test-pricing-");
const transcript = readFileSync(
  join(
    ROOT,
    "tests/fixtures/agent-cli/codex-exec-json__jnarowski_agentcmd__.agent_research_codex_codex-samples_stream-output-4.jsonl",
  ),
  "utf8",
);
let app: App;

beforeAll(async () => {
  const config = loadConfig({ DASH_HOME: home.dir });
  const replay = ["sh", "-c", `cat <<'EOF'\n${transcript.trim()}\nEOF`];
  config.runtimes = { house: { kind: "codex", command: replay, model: "house-model-1" } };
  // Provider prefix and capitals are ignored, as in the built-in table.
  config.pricing = { "Acme/House-Model": { input: 100, output: 1000 } };
  app = await startApp(config, { port: 0, host: "127.0.0.1" }, createLogger("error"));
});
afterAll(async () => {
  await app.stop();
  home.cleanup();
});

test("an operator's price in config.yaml prices a runtime's tokens: 6,087 in and 204 out cost $0.8127", async () => {
  const headers = { authorization: `Bearer ${app.adminKey}`, "content-type": "application/json" };
  const body = JSON.stringify({ name: "priced", task: "t", initialAgents: 1, config: { runtime: "house" } });
  const created = await fetch(new URL("/api/swarm", app.url), { method: "POST", headers, body });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  let agent: AgentResponse | undefined;
  await until(async () => {
    const page = await fetch(new URL(`/api/agents?swarmId=${id}`, app.url), { headers });
    const [first] = ((await page.json()) as { agents: unknown[] }).agents;
    agent = first === undefined ? undefined : AgentResponseSchema.parse(first);
    return agent?.status === "completed";
  }, 20_000);
  expect(agent?.cost).toMatchObject({ promptTokens: 6087, completionTokens: 204, amount: 0.8127 });
});
