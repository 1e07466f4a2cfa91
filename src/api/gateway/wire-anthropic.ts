import type { SseEvent } from "./sse.ts";
import { eventJson } from "./sse.ts";
import { bytesOf, int, noUsage, obj, shapeOf, type UsageSeen, type Wire } from "./wire.ts";

/**
 * Anthropic Messages (`POST /v1/messages`, Claude Code's wire): `max_tokens` caps the output;
 * usage is in the response's `usage`, or in a stream's `message_start` (input and cache) and
 * `message_delta` (the final output count).
 */
function foldUsage(seen: UsageSeen, usage: Record<string, unknown>): void {
  const input = int(usage.input_tokens);
  if (input !== null) seen.input = input;
  seen.cacheWrite = int(usage.cache_creation_input_tokens) ?? seen.cacheWrite;
  seen.cacheRead = int(usage.cache_read_input_tokens) ?? seen.cacheRead;
  const output = int(usage.output_tokens);
  if (output !== null) seen.output = output;
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
};

export const anthropicMessages: Wire = {
  api: "anthropic-messages",
  provider: "anthropic",
  shape: (body) => {
    if (!Array.isArray(body.messages)) return "messages: an array of messages is required";
    return shapeOf(body, ["max_tokens"]);
  },
  capped: (body, maxTokens) => ({ ...body, max_tokens: maxTokens }),
  usageOf: (json) => {
    const seen = noUsage();
    foldUsage(seen, obj(json.usage));
    seen.complete = seen.input !== null && seen.output !== null;
    return seen;
  },
  onEvent: (seen: UsageSeen, event: SseEvent) => {
    const json = eventJson(event);
    if (!json) return;
    if (json.type === "message_start") foldUsage(seen, obj(obj(json.message).usage));
    else if (json.type === "content_block_delta") {
      const delta = obj(json.delta);
      seen.textBytes += bytesOf(delta.text) + bytesOf(delta.partial_json) + bytesOf(delta.thinking);
    } else if (json.type === "message_delta") {
      foldUsage(seen, obj(json.usage));
      seen.complete = seen.input !== null && seen.output !== null;
    }
  },
  // A budget refusal is Anthropic's billing_error: Claude Code stops on it at once, where on an
  // invalid_request_error it retries the call with fewer beta features, five more times.
  error: (status, message, code) => ({
    type: "error",
    error: {
      type: code === "budget_exceeded" ? "billing_error" : (ERROR_TYPES[status] ?? "api_error"),
      message,
    },
  }),
};
