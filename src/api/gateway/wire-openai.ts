import type { SseEvent } from "./sse.ts";
import { eventJson } from "./sse.ts";
import { bytesOf, int, noUsage, obj, shapeOf, type UsageSeen, type Wire } from "./wire.ts";

/**
 * OpenAI's two wires: chat completions (opencode, the openai runtime, Ollama, vLLM…) and Responses
 * (Codex). Their prompt counts include cached tokens, which are priced as cache reads. A streamed
 * chat completion reports usage only when asked (`stream_options.include_usage`): the gateway asks.
 */
function fold(
  seen: UsageSeen,
  usage: Record<string, unknown>,
  inKey: string,
  outKey: string,
  details: string,
) {
  const prompt = int(usage[inKey]);
  const output = int(usage[outKey]);
  if (prompt === null || output === null) return;
  const cached = Math.min(prompt, int(obj(usage[details]).cached_tokens) ?? 0);
  seen.input = prompt - cached;
  seen.cacheRead = cached;
  seen.output = output;
  seen.complete = true;
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "invalid_api_key",
  403: "permission_denied",
  404: "not_found",
  429: "rate_limit_exceeded",
};

const openaiError = (status: number, message: string, code: string) => ({
  error: { message, type: ERROR_TYPES[status] ?? "server_error", param: null, code },
});

const chatUsage = (seen: UsageSeen, usage: unknown) =>
  fold(seen, obj(usage), "prompt_tokens", "completion_tokens", "prompt_tokens_details");

export const openaiChat: Wire = {
  api: "openai-chat",
  provider: "openai",
  shape: (body) => {
    if (!Array.isArray(body.messages)) return "messages: an array of messages is required";
    return shapeOf(body, ["max_completion_tokens", "max_tokens"]);
  },
  capped: (body, maxTokens, field) => {
    const out: Record<string, unknown> = { ...body };
    const named = ["max_completion_tokens", "max_tokens"].filter(
      (f) => out[f] !== undefined && out[f] !== null,
    );
    for (const f of named.length > 0 ? named : [field]) out[f] = maxTokens;
    if (out.stream === true) out.stream_options = { ...obj(out.stream_options), include_usage: true };
    return out;
  },
  usageOf: (json) => {
    const seen = noUsage();
    chatUsage(seen, json.usage);
    return seen;
  },
  onEvent: (seen: UsageSeen, event: SseEvent) => {
    const json = eventJson(event);
    if (!json) return;
    if (json.usage) chatUsage(seen, json.usage);
    for (const choice of Array.isArray(json.choices) ? json.choices : []) {
      const delta = obj(obj(choice).delta);
      seen.textBytes += bytesOf(delta.content) + bytesOf(delta.reasoning_content) + bytesOf(delta.refusal);
      for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        seen.textBytes += bytesOf(obj(obj(call).function).arguments);
      }
    }
  },
  error: openaiError,
};

const responsesUsage = (seen: UsageSeen, usage: unknown) =>
  fold(seen, obj(usage), "input_tokens", "output_tokens", "input_tokens_details");

const ENDS = new Set(["response.completed", "response.incomplete", "response.failed"]);

export const openaiResponses: Wire = {
  api: "openai-responses",
  provider: "openai",
  shape: (body) => {
    if (body.input === undefined) return "input: a prompt or a list of input items is required";
    return shapeOf(body, ["max_output_tokens"]);
  },
  capped: (body, maxTokens) => ({ ...body, max_output_tokens: maxTokens }),
  usageOf: (json) => {
    const seen = noUsage();
    responsesUsage(seen, json.usage);
    return seen;
  },
  onEvent: (seen: UsageSeen, event: SseEvent) => {
    const json = eventJson(event);
    if (!json || typeof json.type !== "string") return;
    if (ENDS.has(json.type)) responsesUsage(seen, obj(json.response).usage);
    else if (json.type.endsWith(".delta")) seen.textBytes += bytesOf(json.delta);
  },
  error: openaiError,
};
