import { z } from "zod";
import { fromUnits } from "./money.ts";

/**
 * A model call an agent made through Dash's gateway (issue 23): admitted (its worst case reserved
 * on the budget chain) before it was forwarded, then settled from the provider's usage.
 */
export const CALL_APIS = ["anthropic-messages", "openai-chat", "openai-responses"] as const;
export const CallApiSchema = z.enum(CALL_APIS);
export type CallApi = z.infer<typeof CallApiSchema>;

export const CALL_STATUSES = ["open", "settled", "refused", "released", "lost"] as const;
export const CallStatusSchema = z.enum(CALL_STATUSES);
export type CallStatus = z.infer<typeof CallStatusSchema>;

export interface ModelCallRecord {
  id: string;
  agentId: string;
  swarmId: string;
  provider: string;
  api: CallApi;
  model: string;
  stream: boolean;
  status: CallStatus;
  /** Units (micro-USD or tokens, the chain's currency) held while it is open; 0 once it ended. */
  reservedUnits: number;
  /** The output tokens it was allowed, and what the request asked for. */
  maxTokens: number | null;
  requestedMaxTokens: number | null;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  httpStatus: number | null;
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  firstByteMs: number | null;
  latencyMs: number | null;
}

export type NewModelCall = Pick<
  ModelCallRecord,
  "id" | "agentId" | "swarmId" | "provider" | "api" | "model" | "stream" | "requestedMaxTokens" | "startedAt"
>;

/** How a call ended: its usage and cost, or why it ended without any. */
export type CallEnd = Pick<
  ModelCallRecord,
  "promptTokens" | "completionTokens" | "costMicros" | "httpStatus" | "error" | "firstByteMs" | "latencyMs"
> & { status: Exclude<CallStatus, "open" | "refused"> };

/** GET /api/agents/:id/calls: one call. */
export const ModelCallResponseSchema = z.object({
  id: z.ulid(),
  agentId: z.ulid(),
  provider: z.string(),
  api: CallApiSchema,
  model: z.string(),
  stream: z.boolean(),
  status: CallStatusSchema,
  admitted: z.boolean(),
  maxTokens: z.number().int().nullable(),
  requestedMaxTokens: z.number().int().nullable(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  /** USD. */
  cost: z.number(),
  /** What it holds of its budgets while it is open (USD or tokens, like the budget). */
  reserved: z.number(),
  httpStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().nullable(),
  firstByteMs: z.number().int().nullable(),
  latencyMs: z.number().int().nullable(),
});
export type ModelCallResponse = z.infer<typeof ModelCallResponseSchema>;

export function toModelCallResponse(call: ModelCallRecord, tokens = false): ModelCallResponse {
  return {
    id: call.id,
    agentId: call.agentId,
    provider: call.provider,
    api: call.api,
    model: call.model,
    stream: call.stream,
    status: call.status,
    admitted: call.status !== "refused",
    maxTokens: call.maxTokens,
    requestedMaxTokens: call.requestedMaxTokens,
    promptTokens: call.promptTokens,
    completionTokens: call.completionTokens,
    cost: fromUnits(call.costMicros, "USD"),
    reserved: fromUnits(call.reservedUnits, tokens ? "tokens" : "USD"),
    httpStatus: call.httpStatus,
    error: call.error,
    startedAt: new Date(call.startedAt).toISOString(),
    endedAt: call.endedAt === null ? null : new Date(call.endedAt).toISOString(),
    firstByteMs: call.firstByteMs,
    latencyMs: call.latencyMs,
  };
}

/** GET /api/agents/:id/calls: newest first, `nextCursor` for older ones. */
export const ModelCallPageSchema = z.object({
  calls: z.array(ModelCallResponseSchema),
  nextCursor: z.ulid().nullable(),
});

/** Spend per model in API answers (GET /api/budget `byModel`). */
export const ModelSpendSchema = z.object({
  model: z.string(),
  calls: z.number().int(),
  refused: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  /** USD. */
  cost: z.number(),
});

export const toModelSpendResponse = (m: ModelSpend) => ({
  model: m.model,
  calls: m.calls,
  refused: m.refused,
  promptTokens: m.promptTokens,
  completionTokens: m.completionTokens,
  cost: fromUnits(m.costMicros, "USD"),
});

/** Spend per model (dash budget show, /metrics). */
export interface ModelSpend {
  model: string;
  calls: number;
  refused: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
}
