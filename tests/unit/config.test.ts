import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { tempHome } from "../helpers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function home(yaml?: string): string {
  const h = tempHome();
  cleanups.push(h.cleanup);
  if (yaml !== undefined) writeFileSync(join(h.dir, "config.yaml"), yaml);
  return h.dir;
}

describe("config", () => {
  test("defaults with no file: port 7373 on loopback, database in DASH_HOME", () => {
    const dir = home();
    const config = loadConfig({ DASH_HOME: dir });
    expect(config.server).toEqual({ port: 7373, host: "127.0.0.1" });
    expect(config.databasePath).toBe(join(dir, "dash.db"));
    expect(config.limits.maxAgentsPerSwarm).toBe(100);
    expect(config.websocket.heartbeatMs).toBe(30_000);
    expect(config.defaults.runtime).toBe("claude-code");
  });

  test("runtimes, pricing and a concurrency of 0 (a server that starts no agents) are read", () => {
    const dir = home(
      "runtimes:\n  local: { kind: openai, baseUrl: 'http://127.0.0.1:11434/v1', model: llama3 }\npricing:\n  llama3: { input: 0.1, output: 0.2 }\n",
    );
    const config = loadConfig({ DASH_HOME: dir, DASH_MAX_CONCURRENCY: "0" });
    expect(config.agents.maxConcurrency).toBe(0);
    expect(config.runtimes.local).toMatchObject({ kind: "openai", model: "llama3" });
    expect(config.pricing).toEqual({ llama3: { input: 0.1, output: 0.2 } });
    expect(() => loadConfig({ DASH_HOME: home("pricing:\n  x: { input: -1, output: 0 }\n") })).toThrow(
      /pricing/,
    );
  });

  test("providers and the gateway's settings are read; a wrong one names its key", () => {
    const dir = home(
      [
        "providers:",
        "  anthropic: { api: anthropic, baseUrl: 'https://api.anthropic.com', apiKeyEnv: ANTHROPIC_API_KEY }",
        "  ollama: { api: openai, baseUrl: 'http://127.0.0.1:11434/v1', maxTokensField: max_tokens }",
        "gateway: { minOutputTokens: 64, waitMs: 1000 }",
        "runtimes:",
        "  local: { kind: openai, provider: ollama, model: llama3 }",
        "",
      ].join("\n"),
    );
    const config = loadConfig({ DASH_HOME: dir });
    expect(config.providers.anthropic).toMatchObject({
      api: "anthropic",
      maxTokensField: "max_completion_tokens",
    });
    expect(config.providers.ollama).toMatchObject({ api: "openai", maxTokensField: "max_tokens" });
    expect(config.gateway).toMatchObject({ minOutputTokens: 64, waitMs: 1000, defaultMaxTokens: 32_000 });
    expect(config.runtimes.local).toMatchObject({ provider: "ollama" });
    expect(() =>
      loadConfig({ DASH_HOME: home("providers:\n  x: { api: gemini, baseUrl: 'http://h' }\n") }),
    ).toThrow(/providers\.x\.api/);
    expect(() =>
      loadConfig({
        DASH_HOME: home("providers:\n  x: { api: openai, baseUrl: 'http://h', apiKey: k, apiKeyEnv: K }\n"),
      }),
    ).toThrow(/apiKey or apiKeyEnv/);
  });

  test("config.yaml is read, and environment variables override it", () => {
    const dir = home("server:\n  port: 8000\nlog:\n  level: debug\nlimits:\n  maxAgentsPerSwarm: 20\n");
    expect(loadConfig({ DASH_HOME: dir }).server.port).toBe(8000);
    const config = loadConfig({
      DASH_HOME: dir,
      DASH_PORT: "9001",
      DASH_DB_PATH: "/tmp/elsewhere.db",
      DASH_LOG_LEVEL: "warn",
      DASH_MAX_AGENTS: "50",
      DASH_RATE_LIMIT: "7",
      DASH_WS_HEARTBEAT: "5000",
      OPENCLAW_GATEWAY_URL: "http://127.0.0.1:18789",
      OPENCLAW_API_KEY: "secret",
    });
    expect(config.server.port).toBe(9001);
    expect(config.databasePath).toBe("/tmp/elsewhere.db");
    expect(config.log.level).toBe("warn");
    expect(config.limits).toMatchObject({ maxAgentsPerSwarm: 50, rateLimitPerMinute: 7 });
    expect(config.websocket.heartbeatMs).toBe(5000);
    expect(config.openclaw).toEqual({ gatewayUrl: "http://127.0.0.1:18789", token: "secret" });
  });

  test("OPENCLAW_GATEWAY_TOKEN wins over the PRD's OPENCLAW_API_KEY", () => {
    const config = loadConfig({ DASH_HOME: home(), OPENCLAW_GATEWAY_TOKEN: "a", OPENCLAW_API_KEY: "b" });
    expect(config.openclaw.token).toBe("a");
  });

  test("a bad value in the file names the key, the value and what is allowed", () => {
    const dir = home("server:\n  port: 99999\n");
    expect(() => loadConfig({ DASH_HOME: dir })).toThrow(/config\.yaml: server\.port = 99999: .*65535/);
  });

  test("a bad enum lists the allowed values", () => {
    const dir = home("log:\n  level: loud\n");
    expect(() => loadConfig({ DASH_HOME: dir })).toThrow(
      /log\.level = "loud".*"debug"\|"info"\|"warn"\|"error"/,
    );
  });

  test("a bad environment variable is named as such", () => {
    expect(() => loadConfig({ DASH_HOME: home(), DASH_PORT: "seventy" })).toThrow(
      /DASH_PORT="seventy".*whole number/,
    );
    expect(() => loadConfig({ DASH_HOME: home(), DASH_LOG_LEVEL: "chatty" })).toThrow(
      /environment variable DASH_LOG_LEVEL = "chatty"/,
    );
  });

  test("a misspelt key is reported, not ignored", () => {
    expect(() => loadConfig({ DASH_HOME: home("server:\n  prot: 1\n") })).toThrow(/server.*prot/);
  });

  test("YAML that does not parse, or is not a mapping, is refused", () => {
    expect(() => loadConfig({ DASH_HOME: home("server: [unclosed\n") })).toThrow(/not valid YAML/);
    expect(() => loadConfig({ DASH_HOME: home("- a\n- b\n") })).toThrow(/must be a YAML mapping/);
    expect(loadConfig({ DASH_HOME: home("") }).server.port).toBe(7373);
  });
});
