import type { Metering } from "../domain/agent.ts";
import type { Provider, ProviderApi } from "../domain/provider.ts";
import type { RuntimeKind } from "./presets.ts";

/**
 * How an agent reaches Dash's metering gateway without knowing it (issue 23): the CLIs that take a
 * base URL get the gateway's, and their key variable holds the agent's own token (filled in when
 * the token is made), never the operator's provider key. Such agents are metered by the gateway;
 * every other runtime is metered by what it reports.
 */
export interface GatewayChoice {
  /** The server's own URL (DASH_URL); the gateway is under /gateway. */
  url: string;
  /** The APIs that have a provider configured. */
  apis: readonly ProviderApi[];
}

export interface GatewayWiring {
  metering: Metering;
  env: Record<string, string>;
  /** Variables set to the agent's token once it exists. */
  keyEnv: string[];
  /** `{gatewayUrl}` for the preset's gatewayArgs; null when its calls do not go through it. */
  gatewayUrl: string | null;
}

const KIND_API: Partial<Record<RuntimeKind, ProviderApi>> = {
  "claude-code": "anthropic",
  codex: "openai",
  openai: "openai",
};

/** Base URLs and key variables of the official SDKs, for every process agent (scripts included). */
function sdkEnv(gateway: GatewayChoice): { env: Record<string, string>; keyEnv: string[] } {
  const env: Record<string, string> = { DASH_GATEWAY_URL: `${gateway.url}/gateway` };
  const keyEnv: string[] = [];
  if (gateway.apis.includes("anthropic")) {
    env.ANTHROPIC_BASE_URL = `${gateway.url}/gateway/anthropic`;
    keyEnv.push("ANTHROPIC_API_KEY");
  }
  if (gateway.apis.includes("openai")) {
    env.OPENAI_BASE_URL = `${gateway.url}/gateway/openai/v1`;
    keyEnv.push("OPENAI_API_KEY");
  }
  return { env, keyEnv };
}

export function gatewayWiring(kind: RuntimeKind, raw: boolean, gateway?: GatewayChoice): GatewayWiring {
  if (!gateway || gateway.apis.length === 0)
    return { metering: "reports", env: {}, keyEnv: [], gatewayUrl: null };
  const { env, keyEnv } = sdkEnv(gateway);
  const api = raw ? undefined : KIND_API[kind];
  const metered = api !== undefined && gateway.apis.includes(api);
  return {
    metering: metered ? "gateway" : "reports",
    env,
    keyEnv,
    gatewayUrl: metered ? `${gateway.url}/gateway` : null,
  };
}

/** The env variables holding provider keys: no agent ever gets them. */
export function providerKeyEnvs(providers: Record<string, Provider>): string[] {
  return Object.values(providers).flatMap((p) => (p.apiKeyEnv ? [p.apiKeyEnv] : []));
}
