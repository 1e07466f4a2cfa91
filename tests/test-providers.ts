import type { Provider } from "../src/domain/provider.ts";

/** The provider key only `dash serve` knows; a test fails if any agent or request shows it. */
export const OPERATOR_KEY = "sk-operator-secret-never-for-agents";

/**
 * The gateway's providers for a fake on `url` (both wire formats), their key in the server's own
 * environment only, as an operator's real key would be: the scheduler must keep it from agents.
 */
export function testProviders(url: string): Record<string, Provider> {
  process.env.DASH_TEST_PROVIDER_KEY = OPERATOR_KEY;
  const common = { apiKeyEnv: "DASH_TEST_PROVIDER_KEY", maxTokensField: "max_completion_tokens" } as const;
  return {
    anthropic: { api: "anthropic", baseUrl: url, ...common },
    openai: { api: "openai", baseUrl: `${url}/v1`, ...common },
  };
}
