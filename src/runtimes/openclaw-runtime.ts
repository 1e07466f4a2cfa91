import { VERSION } from "../version.ts";
import { gatewayToken } from "./openclaw-agent.ts";
import { GatewayConnection } from "./openclaw-gateway.ts";
import { RunBook } from "./openclaw-runs.ts";
import type { ResolvedRuntime, RuntimeChoice, RuntimePreset } from "./presets.ts";
import { ReportProtocolParser } from "./report-protocol.ts";
import { selfArgv } from "./self.ts";

/** OpenClaw's own default address (`openclaw gateway run`), when neither config nor env names one. */
const DEFAULT_GATEWAY = "ws://127.0.0.1:18789";

export const sessionKeyOf = (agentId: string) => `dash-${agentId}`;

/**
 * The dash binary itself follows the session (openclaw-agent.ts), with its settings in
 * DASH_OPENCLAW. OpenClaw has no pause: pausing aborts the session's run (the agent's process is
 * stopped first, as usual), and resuming writes a continuation's key into the agent's run book
 * before the process is continued; it then asks the same session to go on under that key. The model is passed on only as OpenClaw names them
 * (`provider/model`); otherwise the gateway's default model answers.
 */
export function openclawRuntime(
  name: string,
  preset: RuntimePreset,
  choice: RuntimeChoice,
  model: string,
): Omit<ResolvedRuntime, "metering" | "gatewayKeyEnv"> {
  const url = preset.gatewayUrl ?? process.env.OPENCLAW_GATEWAY_URL ?? DEFAULT_GATEWAY;
  const sessionKey = sessionKeyOf(choice.agentId);
  const settings = {
    url,
    sessionKey,
    label: `dash ${choice.agentId}`,
    ...(model.includes("/") ? { model } : {}),
    ...(choice.parentId ? { parentSessionKey: sessionKeyOf(choice.parentId) } : {}),
    version: VERSION,
    ...(preset.reconnectForMs === undefined ? {} : { reconnectForMs: preset.reconnectForMs }),
  };
  const env = { ...process.env, ...preset.env };
  const call = async (method: string, params: Record<string, unknown>) => {
    const connection = await GatewayConnection.open({
      url,
      token: gatewayToken(env) ?? "",
      version: VERSION,
    });
    try {
      await connection.request(method, params);
    } finally {
      connection.close();
    }
  };
  return {
    name,
    kind: "openclaw",
    argv: [...selfArgv(), "__openclaw-agent", choice.task, ...(choice.input ? [choice.input] : [])],
    env: { ...preset.env, DASH_OPENCLAW: JSON.stringify(settings) },
    parser: () => new ReportProtocolParser(),
    resumes: false,
    writable: [],
    control: {
      pause: () => call("sessions.abort", { key: sessionKey }),
      resume: async (workspace) => {
        new RunBook(workspace).continuation(choice.agentId);
      },
    },
  };
}
