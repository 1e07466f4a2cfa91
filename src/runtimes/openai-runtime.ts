import type { ResolvedRuntime, RuntimeChoice, RuntimePreset } from "./presets.ts";
import { type Price, priceOf } from "./pricing.ts";
import { ReportProtocolParser } from "./report-protocol.ts";
import { selfArgv } from "./self.ts";

/** The dash binary itself talks to the endpoint (openai-agent.ts), with its settings in DASH_OPENAI. */
export function openaiRuntime(
  name: string,
  preset: RuntimePreset,
  choice: RuntimeChoice,
  model: string,
  prices: Record<string, Price>,
  gatewayUrl: string | null = null,
): Omit<ResolvedRuntime, "metering" | "gatewayKeyEnv"> {
  // Through the gateway, its key is the agent's own token; otherwise the preset's endpoint and key.
  const settings = {
    baseUrl: gatewayUrl ? `${gatewayUrl}/openai/v1` : (preset.baseUrl ?? "https://api.openai.com/v1"),
    apiKeyEnv: gatewayUrl ? "DASH_AGENT_TOKEN" : (preset.apiKeyEnv ?? "OPENAI_API_KEY"),
    model,
    stream: preset.stream,
    maxAttempts: preset.maxAttempts,
    retryBaseMs: preset.retryBaseMs,
    system: preset.system,
    maxTokens: preset.maxTokens,
    price: priceOf(model, prices),
  };
  return {
    name,
    kind: "openai",
    argv: [...selfArgv(), "__openai-agent", choice.task, ...(choice.input ? [choice.input] : [])],
    env: { ...preset.env, DASH_OPENAI: JSON.stringify(settings) },
    parser: () => new ReportProtocolParser(),
    resumes: false,
    writable: [],
  };
}
