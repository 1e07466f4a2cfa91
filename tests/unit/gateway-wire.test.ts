import { describe, expect, test } from "bun:test";
import { SseReader } from "../../src/api/gateway/sse.ts";
import { pickProvider, upstreamHeaders, upstreamUrl } from "../../src/api/gateway/upstream.ts";
import { noUsage, usageToCharge } from "../../src/api/gateway/wire.ts";
import { anthropicMessages } from "../../src/api/gateway/wire-anthropic.ts";
import { openaiChat, openaiResponses } from "../../src/api/gateway/wire-openai.ts";
import type { Provider } from "../../src/domain/provider.ts";
import { builtInPresets, resolveRuntime } from "../../src/runtimes/presets.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const event = (data: unknown, name?: string) =>
  `${name ? `event: ${name}\n` : ""}data: ${JSON.stringify(data)}\n\n`;

describe("gateway wire formats", () => {
  test("an SSE stream split anywhere gives the same events, each once", () => {
    const text = `${event({ a: 1 }, "x")}${event({ b: "é" })}: comment\n\ndata: [DONE]\n\n`;
    const bytes = enc(text);
    for (const cut of [1, 5, 17, bytes.length - 3]) {
      const reader = new SseReader();
      const events = [...reader.feed(bytes.slice(0, cut)), ...reader.feed(bytes.slice(cut))];
      expect(events.map((e) => e.data)).toEqual(['{"a":1}', '{"b":"é"}', "[DONE]"]);
      expect(events[0]?.event).toBe("x");
    }
  });

  test("Anthropic: input and cache from message_start, the output count from message_delta", () => {
    const seen = noUsage();
    const usage = {
      input_tokens: 10,
      cache_creation_input_tokens: 200,
      cache_read_input_tokens: 3000,
      output_tokens: 1,
    };
    for (const e of [
      event({ type: "message_start", message: { usage } }),
      event({ type: "content_block_delta", delta: { type: "text_delta", text: "héllo" } }),
      event({ type: "message_delta", usage: { output_tokens: 42 } }),
    ]) {
      for (const ev of new SseReader().feed(enc(e))) anthropicMessages.onEvent(seen, ev);
    }
    expect(seen).toMatchObject({
      input: 10,
      cacheWrite: 200,
      cacheRead: 3000,
      output: 42,
      complete: true,
      textBytes: 6,
    });
    expect(anthropicMessages.capped({ max_tokens: 9, x: 1 }, 5, "")).toEqual({ max_tokens: 5, x: 1 });
    expect(anthropicMessages.shape({ model: "m", messages: [], max_tokens: 0 })).toContain("max_tokens");
  });

  test("OpenAI chat: usage asked for when streaming; cached prompt tokens priced as cache reads", () => {
    const body = openaiChat.capped({ model: "m", stream: true, messages: [] }, 77, "max_completion_tokens");
    expect(body).toMatchObject({ max_completion_tokens: 77, stream_options: { include_usage: true } });
    // A request that names max_tokens keeps that field (older servers know only it).
    expect(
      openaiChat.capped({ model: "m", max_tokens: 500, messages: [] }, 77, "max_completion_tokens"),
    ).toEqual({
      model: "m",
      max_tokens: 77,
      messages: [],
    });
    const seen = openaiChat.usageOf({
      usage: { prompt_tokens: 100, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 60 } },
    });
    expect(seen).toMatchObject({ input: 40, cacheRead: 60, output: 9, complete: true });
  });

  test("OpenAI Responses: usage from response.completed, deltas counted", () => {
    const seen = noUsage();
    const reader = new SseReader();
    const text =
      event({ type: "response.output_text.delta", delta: "abc" }) +
      event({ type: "response.completed", response: { usage: { input_tokens: 5, output_tokens: 2 } } });
    for (const ev of reader.feed(enc(text))) openaiResponses.onEvent(seen, ev);
    expect(seen).toMatchObject({ input: 5, output: 2, complete: true, textBytes: 3 });
    expect(openaiResponses.capped({ input: "x" }, 12, "")).toEqual({ input: "x", max_output_tokens: 12 });
  });

  test("a cut call is charged its known input and, for output, one token per delivered byte, capped", () => {
    const cut = { ...noUsage(), input: 50, textBytes: 30 };
    expect(usageToCharge(cut, 900, 1000)).toEqual({ input: 50, cacheWrite: 0, cacheRead: 0, output: 30 });
    expect(usageToCharge({ ...cut, textBytes: 5000 }, 900, 1000).output).toBe(1000);
    // Nothing known of its prompt: the bound it was admitted on.
    expect(usageToCharge(noUsage(), 900, 1000)).toEqual({
      input: 900,
      cacheWrite: 0,
      cacheRead: 0,
      output: 0,
    });
  });

  test("providers: the swarm's, the preset's, else the one of that API; URLs and headers", () => {
    const providers: Record<string, Provider> = {
      mine: { api: "openai", baseUrl: "http://h/v1/", apiKey: "k1", maxTokensField: "max_tokens" },
      openai: {
        api: "openai",
        baseUrl: "http://o/v1",
        apiKeyEnv: "K",
        maxTokensField: "max_completion_tokens",
      },
      anthropic: {
        api: "anthropic",
        baseUrl: "http://a",
        apiKeyEnv: "K",
        maxTokensField: "max_completion_tokens",
      },
    };
    expect(pickProvider(providers, "openai", [undefined, "mine"])[0]).toBe("mine");
    expect(pickProvider(providers, "openai", ["anthropic"])[0]).toBe("openai");
    expect(() => pickProvider({}, "anthropic", [])).toThrow(/providers:/);
    expect(upstreamUrl(providers.mine as Provider, "v1/chat/completions", "")).toBe(
      "http://h/v1/chat/completions",
    );
    expect(upstreamUrl(providers.anthropic as Provider, "v1/messages", "?beta=true")).toBe(
      "http://a/v1/messages?beta=true",
    );
    const headers = upstreamHeaders(
      providers.anthropic as Provider,
      new Headers({ "x-api-key": "dash_api_key_agent", "anthropic-beta": "b", cookie: "c" }),
      { K: "sk-real" },
    );
    expect(headers.get("x-api-key")).toBe("sk-real");
    expect(headers.get("anthropic-beta")).toBe("b");
    expect(headers.get("cookie")).toBeNull();
  });

  test("runtimes are pointed at the gateway only when a provider of their API exists", () => {
    const gateway = { url: "http://127.0.0.1:7373", apis: ["anthropic", "openai"] as const };
    const choice = { model: "m", task: "t", agentId: "a1", gateway: { ...gateway, apis: [...gateway.apis] } };
    const presets = builtInPresets();
    const claude = resolveRuntime({ ...choice, runtime: "claude-code" }, presets, "command");
    expect(claude.metering).toBe("gateway");
    expect(claude.env.ANTHROPIC_BASE_URL).toBe("http://127.0.0.1:7373/gateway/anthropic");
    expect(claude.gatewayKeyEnv).toContain("ANTHROPIC_API_KEY");
    const codex = resolveRuntime({ ...choice, runtime: "codex" }, presets, "command");
    expect(codex.metering).toBe("gateway");
    expect(codex.argv.join(" ")).toContain('base_url = "http://127.0.0.1:7373/gateway/openai/v1"');
    const openai = resolveRuntime({ ...choice, runtime: "openai" }, presets, "command");
    expect(JSON.parse(openai.env.DASH_OPENAI as string)).toMatchObject({
      baseUrl: "http://127.0.0.1:7373/gateway/openai/v1",
      apiKeyEnv: "DASH_AGENT_TOKEN",
    });
    // No provider for its API, a raw command, or no gateway at all: metered by its reports.
    expect(
      resolveRuntime(
        { ...choice, runtime: "codex", gateway: { ...gateway, apis: ["anthropic"] } },
        presets,
        "command",
      ).metering,
    ).toBe("reports");
    expect(resolveRuntime({ ...choice, command: ["x"] }, presets, "command").metering).toBe("reports");
    const plain = resolveRuntime(
      { model: "m", task: "t", agentId: "a1", runtime: "claude-code" },
      presets,
      "command",
    );
    expect(plain.metering).toBe("reports");
    expect(plain.env.ANTHROPIC_BASE_URL).toBeUndefined();
  });
});
