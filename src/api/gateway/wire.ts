import type { CallApi } from "../../domain/model-call.ts";
import type { ProviderApi } from "../../domain/provider.ts";
import type { CallUsage } from "../../runtimes/pricing.ts";
import type { SseEvent } from "./sse.ts";

/**
 * What the gateway needs to know of one provider wire format: how a request names its model,
 * streaming and output cap; how to cap it; where the response (or its stream) says the usage; and
 * the provider's own error shape, so a refusal reads to the CLI like the provider's.
 */
export interface CallShape {
  model: string;
  stream: boolean;
  /** The output cap the request asks for; null when it names none. */
  maxTokens: number | null;
}

/** What a response said of its usage so far; `complete` once the final usage arrived. */
export interface UsageSeen {
  input: number | null;
  cacheWrite: number;
  cacheRead: number;
  output: number | null;
  complete: boolean;
  /** UTF-8 bytes of generated text seen (a token is at least one byte: bounds a cut stream's output). */
  textBytes: number;
}

export const noUsage = (): UsageSeen => ({
  input: null,
  cacheWrite: 0,
  cacheRead: 0,
  output: null,
  complete: false,
  textBytes: 0,
});

export interface Wire {
  api: CallApi;
  provider: ProviderApi;
  /** The upstream path for the gateway path after the provider's prefix. */
  shape(body: Record<string, unknown>): CallShape | string;
  /** The body to forward: its output capped at `maxTokens`, usage asked for when streaming. */
  capped(body: Record<string, unknown>, maxTokens: number, field: string): Record<string, unknown>;
  /** Usage of a whole (not streamed) response body. */
  usageOf(json: Record<string, unknown>): UsageSeen;
  /** Folds one stream event into what is known of the usage. */
  onEvent(seen: UsageSeen, event: SseEvent): void;
  /** The provider's error body for a status and message. */
  error(status: number, message: string, code: string): Record<string, unknown>;
}

/** What to charge: the usage the provider gave, or for a cut call the bounds of what it may have used. */
export function usageToCharge(seen: UsageSeen, inputBound: number, maxTokens: number): CallUsage {
  if (seen.complete && seen.input !== null && seen.output !== null) {
    return { input: seen.input, cacheWrite: seen.cacheWrite, cacheRead: seen.cacheRead, output: seen.output };
  }
  const output = Math.min(maxTokens, Math.max(seen.output ?? 0, seen.textBytes));
  if (seen.input === null) return { input: inputBound, cacheWrite: 0, cacheRead: 0, output };
  return { input: seen.input, cacheWrite: seen.cacheWrite, cacheRead: seen.cacheRead, output };
}

export const int = (v: unknown): number | null =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null;

export const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export const bytesOf = (v: unknown): number => (typeof v === "string" ? Buffer.byteLength(v) : 0);

/** No model writes more than this in one answer; a larger cap is a mistake (or an attack on the ledger). */
const MAX_CAP = 10_000_000;

/** The model, stream flag and one of the cap fields, or what is wrong with them. */
export function shapeOf(body: Record<string, unknown>, capFields: string[]): CallShape | string {
  if (typeof body.model !== "string" || body.model.length === 0 || body.model.length > 200)
    return "model: a model name (at most 200 characters) is required";
  if (body.stream !== undefined && typeof body.stream !== "boolean") return "stream: must be true or false";
  let maxTokens: number | null = null;
  for (const field of capFields) {
    if (body[field] === undefined || body[field] === null) continue;
    const value = int(body[field]);
    if (value === null || value < 1 || value > MAX_CAP)
      return `${field}: must be a whole number from 1 to ${MAX_CAP}`;
    maxTokens = maxTokens === null ? value : Math.min(maxTokens, value);
  }
  return { model: body.model, stream: body.stream === true, maxTokens };
}
