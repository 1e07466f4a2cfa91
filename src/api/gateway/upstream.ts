import { DashError } from "../../domain/errors.ts";
import type { Provider, ProviderApi } from "../../domain/provider.ts";

/**
 * Where a call goes: the provider the agent's swarm names, else its runtime preset's, else the
 * one provider of that API (preferring the one named like it: `anthropic`, `openai`). The key is
 * read from `dash serve`'s environment at call time, so rotating it needs no restart of agents.
 */
export function pickProvider(
  providers: Record<string, Provider>,
  api: ProviderApi,
  named: (string | undefined)[],
): [string, Provider] {
  for (const name of named) {
    const provider = name ? providers[name] : undefined;
    if (provider && provider.api === api) return [name as string, provider];
  }
  const fitting = Object.entries(providers).filter(([, p]) => p.api === api);
  const preferred = fitting.find(([name]) => name === api) ?? fitting[0];
  if (preferred) return preferred;
  throw new DashError(
    "NOT_FOUND",
    `no ${api} provider is configured for the gateway: add one under providers: in config.yaml (api: ${api}, baseUrl, apiKeyEnv)`,
  );
}

/** The provider's URL for the path after /gateway/<api>/ (Anthropic's base has no /v1, OpenAI's has). */
export function upstreamUrl(provider: Provider, path: string, search: string): string {
  const base = provider.baseUrl.replace(/\/+$/, "");
  const rest = provider.api === "openai" ? path.replace(/^v1\//, "") : path;
  return `${base}/${rest}${search}`;
}

const NOT_FORWARDED = new Set([
  "host",
  "authorization",
  "x-api-key",
  "content-length",
  "connection",
  "accept-encoding",
  "cookie",
  "transfer-encoding",
  "keep-alive",
]);

/** The client's headers minus its credentials and hop-by-hop ones, plus the provider's key. */
export function upstreamHeaders(provider: Provider, incoming: Headers, env = process.env): Headers {
  const headers = new Headers();
  for (const [name, value] of incoming) if (!NOT_FORWARDED.has(name)) headers.set(name, value);
  for (const [name, value] of Object.entries(provider.headers ?? {})) headers.set(name, value);
  const key = provider.apiKey ?? (provider.apiKeyEnv ? env[provider.apiKeyEnv] : undefined);
  if (key && provider.api === "anthropic") headers.set("x-api-key", key);
  if (key && provider.api === "openai") headers.set("authorization", `Bearer ${key}`);
  if (provider.api === "anthropic" && !headers.has("anthropic-version")) {
    headers.set("anthropic-version", "2023-06-01");
  }
  headers.set("content-type", "application/json");
  return headers;
}

const NOT_RETURNED = new Set(["content-encoding", "content-length", "transfer-encoding", "connection"]);

/** The provider's response headers for the client (fetch has already decoded the body). */
export function downstreamHeaders(upstream: Headers, extra: Record<string, string>): Headers {
  const headers = new Headers();
  for (const [name, value] of upstream) if (!NOT_RETURNED.has(name)) headers.set(name, value);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return headers;
}
