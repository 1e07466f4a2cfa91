import { z } from "zod";

/**
 * Per-million-token prices (USD) for CLIs and endpoints that report tokens but no cost (Codex,
 * Gemini CLI, OpenAI-compatible servers). Matched by the longest prefix of the model name; public
 * list prices as of late 2026. Unknown models cost 0 and say so in the agent's log.
 */
export const PriceSchema = z.strictObject({
  /** USD per million prompt tokens. */
  input: z.number().min(0).max(10_000),
  /** USD per million completion tokens. */
  output: z.number().min(0).max(10_000),
  /** USD per million prompt tokens read from a prompt cache (default: a tenth of `input`). */
  cacheRead: z.number().min(0).max(10_000).optional(),
  /** USD per million prompt tokens written to a prompt cache (default: 1.25 × `input`, Anthropic's 5-minute rate). */
  cacheWrite: z.number().min(0).max(10_000).optional(),
});
export type Price = z.infer<typeof PriceSchema>;

export const PRICES: Record<string, Price> = {
  "gpt-5.5": { input: 1.25, output: 10 },
  "gpt-5-mini": { input: 0.25, output: 2 },
  "gpt-5-nano": { input: 0.05, output: 0.4 },
  "gpt-5": { input: 1.25, output: 10 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "gpt-4o": { input: 2.5, output: 10 },
  o3: { input: 2, output: 8 },
  "o4-mini": { input: 1.1, output: 4.4 },
  "claude-opus-4": { input: 15, output: 75 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-haiku-4": { input: 1, output: 5 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  "gemini-2.5-pro": { input: 1.25, output: 10 },
  "gemini-2.5-flash-lite": { input: 0.1, output: 0.4 },
  "gemini-2.5-flash": { input: 0.3, output: 2.5 },
};

/** How a model is looked up in a price table: lower case, without a provider prefix ("openai/gpt-5" → "gpt-5"). */
export const modelKey = (model: string) => model.toLowerCase().replace(/^[^/]+\//, "");

export function priceOf(model: string, prices: Record<string, Price> = PRICES): Price | null {
  const name = modelKey(model);
  let best: string | null = null;
  for (const prefix of Object.keys(prices)) {
    if (name.startsWith(prefix) && (best === null || prefix.length > best.length)) best = prefix;
  }
  return best === null ? null : (prices[best] as Price);
}

/** Dollars for these tokens at this price, rounded to the micro-dollar the ledger keeps. */
export function costAt(price: Price, promptTokens: number, completionTokens: number): number {
  const usd = (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
  return Math.round(usd * 1_000_000) / 1_000_000;
}

/** Dollars for these tokens of this model (0 for a model the table does not know). */
export function costOf(
  model: string,
  promptTokens: number,
  completionTokens: number,
  prices: Record<string, Price> = PRICES,
): number {
  const price = priceOf(model, prices);
  return price ? costAt(price, promptTokens, completionTokens) : 0;
}

/** A prompt cache's read and write rates (USD per million tokens): the price's own, or the defaults. */
export function cacheRates(price: Price): { read: number; write: number } {
  return { read: price.cacheRead ?? price.input / 10, write: price.cacheWrite ?? price.input * 1.25 };
}

/** One model call's tokens as a provider reports them (prompt split by how the cache priced it). */
export interface CallUsage {
  input: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
}

/** Micro-dollars for one call's usage at this price (USD per million tokens = micro-USD per token). */
export function callCostMicros(price: Price | null, usage: CallUsage): number {
  if (!price) return 0;
  const cache = cacheRates(price);
  return Math.round(
    usage.input * price.input +
      usage.cacheWrite * cache.write +
      usage.cacheRead * cache.read +
      usage.output * price.output,
  );
}
