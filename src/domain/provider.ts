import { z } from "zod";

/**
 * The model providers behind Dash's gateway (config.yaml `providers:`) and the gateway's own
 * settings. The key stays on the server: agents get their own per-agent token instead.
 */
export const PROVIDER_APIS = ["anthropic", "openai"] as const;
export const ProviderApiSchema = z.enum(PROVIDER_APIS);
export type ProviderApi = z.infer<typeof ProviderApiSchema>;

export const ProviderSchema = z
  .strictObject({
    /** Its wire format: Anthropic Messages, or OpenAI (chat completions and Responses; Ollama, vLLM…). */
    api: ProviderApiSchema,
    /** Anthropic: without /v1 (https://api.anthropic.com); OpenAI: with it (https://api.openai.com/v1). */
    baseUrl: z.url(),
    /** The environment variable of `dash serve` that holds its key (never passed to agents). */
    apiKeyEnv: z.string().min(1).max(200).optional(),
    /** The key itself, for a local server that wants one; prefer apiKeyEnv. */
    apiKey: z.string().min(1).max(10_000).optional(),
    /** Extra headers sent upstream on every call (an organisation id, a proxy's). */
    headers: z.record(z.string().min(1).max(200), z.string().max(10_000)).optional(),
    /**
     * The field that caps output on OpenAI chat completions when a request names none:
     * `max_completion_tokens` (OpenAI, vLLM, OpenRouter) or `max_tokens` (older servers).
     */
    maxTokensField: z.enum(["max_completion_tokens", "max_tokens"]).default("max_completion_tokens"),
  })
  .refine((p) => !(p.apiKey && p.apiKeyEnv), { message: "give apiKey or apiKeyEnv, not both" });
export type Provider = z.infer<typeof ProviderSchema>;

export const GatewayConfigSchema = z.strictObject({
  /** Output tokens a call asks for when it names none (the worst case it is admitted for). */
  defaultMaxTokens: z.number().int().min(1).max(1_000_000).default(32_000),
  /** A call whose room allows fewer output tokens than this (or than it asked) is refused, not capped. */
  minOutputTokens: z.number().int().min(1).max(1_000_000).default(256),
  /** How long a call may wait for other calls' reservations to settle before it is refused. */
  waitMs: z.number().int().min(0).max(600_000).default(30_000),
  /** The largest request body the gateway reads. */
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
