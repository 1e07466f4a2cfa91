import { z } from "zod";
import { PriceSchema } from "./pricing.ts";
import type { OutputParser } from "./runtime.ts";
import { selfArgv } from "./self.ts";

/**
 * Runtimes are named presets (DESIGN.md §4): config.yaml's `runtimes` adds or overrides them;
 * a swarm picks one by name in `config.runtime`, or gives a raw argv in `config.command` (admin).
 * `{task}`, `{input}`, `{model}`, `{agentId}`, `{seconds}` (demo), `{session}` (resumeArgs) and
 * `{budgetUsd}` (budgetArgs) in an argv element are replaced by the values, as whole arguments to
 * execve: never through a shell.
 */
export const RUNTIME_KINDS = [
  "command",
  "demo",
  "claude-code",
  "codex",
  "gemini",
  "opencode",
  "openai",
  "openclaw",
] as const;
export const RuntimeKindSchema = z.enum(RUNTIME_KINDS);
/** `plugin`: a runtime a module under `plugins:` adds (src/plugins/); config.yaml cannot name the kind. */
export type RuntimeKind = z.infer<typeof RuntimeKindSchema> | "plugin";

export const RuntimePresetSchema = z.strictObject({
  kind: RuntimeKindSchema.default("command"),
  command: z.array(z.string().max(10_000)).min(1).max(1000).optional(),
  model: z.string().min(1).max(200).optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** What the demo agent takes, in seconds, for its whole run. */
  seconds: z.number().positive().max(3600).optional(),
  /** Added to argv when a lost run is resumed; `{session}` is the session id the run reported. */
  resumeArgs: z.array(z.string().max(1000)).max(20).optional(),
  /** Added to argv when the swarm has a USD budget; `{budgetUsd}` is what remains of it. */
  budgetArgs: z.array(z.string().max(1000)).max(20).optional(),
  /** Added to argv once per blocked command; `{command}` is its name (Claude's disallowed tools). */
  blockedArgs: z.array(z.string().max(1000)).max(20).optional(),
  /**
   * What the CLI must write besides the workspace (its config and session files), writable in the
   * sandbox: `~/x`, `$VAR/x` and `${VAR:-~/default}/x` are expanded (an unset variable without a
   * default skips the entry); a directory ending in "/" is made when missing, others only when they exist.
   */
  writable: z.array(z.string().min(1).max(4096)).max(50).optional(),
  /** The `providers:` entry its model calls go to through the gateway (default: the one for its API). */
  provider: z.string().min(1).max(100).optional(),
  /** Added to argv when its calls go through the gateway; `{gatewayUrl}` is the gateway's base URL. */
  gatewayArgs: z.array(z.string().max(1000)).max(20).optional(),
  /** USD per million tokens for this preset's model, over the `pricing:` table. */
  price: PriceSchema.optional(),
  // The openai kind: an OpenAI-compatible endpoint and the env variable that holds its key.
  baseUrl: z.url().optional(),
  apiKeyEnv: z.string().min(1).max(200).optional(),
  stream: z.boolean().optional(),
  maxAttempts: z.number().int().min(1).max(20).optional(),
  retryBaseMs: z.number().int().min(0).max(60_000).optional(),
  system: z.string().max(100_000).optional(),
  maxTokens: z.number().int().positive().optional(),
  // The openclaw kind: the gateway (else OPENCLAW_GATEWAY_URL) and how long it may be unreachable.
  gatewayUrl: z
    .string()
    .regex(/^wss?:\/\/\S+$/, "a ws:// or wss:// URL")
    .optional(),
  reconnectForMs: z.number().int().min(0).max(3_600_000).optional(),
});
/** A preset as config.yaml gives one (and every built-in one). */
export type ConfigPreset = z.infer<typeof RuntimePresetSchema>;
export type RuntimePreset = Omit<ConfigPreset, "kind"> & {
  kind: RuntimeKind;
  /** A plugin runtime's own code: its argv and parser, in place of `command` and the kind's parser. */
  plugin?: PluginHooks;
};

/** What a plugin runtime's `command` is given: the agent's run, as resolveRuntime knows it. */
export interface PluginRunContext {
  task: string;
  input: string | null;
  model: string;
  agentId: string;
  parentId: string | null;
  /** What remains of the swarm's USD budget, or null (a token budget, none left). */
  budgetUsd: number | null;
  blockedCommands: string[];
}

/** A plugin runtime as resolveRuntime uses it (src/plugins/runtime-preset.ts makes one). */
export interface PluginHooks {
  /** The module it came from, for messages. */
  file: string;
  /** The argv of one attempt (throws a DashError that names the plugin). */
  argv(context: PluginRunContext): string[];
  parser(): OutputParser;
}

export function builtInPresets(): Record<string, ConfigPreset> {
  return {
    command: { kind: "command" },
    "claude-code": {
      kind: "claude-code",
      command: [
        "claude",
        // Edits inside the agent's workspace without asking (there is no one to ask in -p mode).
        "--permission-mode",
        "acceptEdits",
        "-p",
        "{task}",
        "--output-format",
        "stream-json",
        "--verbose",
        "--model",
        "{model}",
      ],
      resumeArgs: ["--resume", "{session}"],
      budgetArgs: ["--max-budget-usd", "{budgetUsd}"],
      blockedArgs: ["--disallowedTools", "Bash({command})", "Bash({command} *)"],
      writable: ["${CLAUDE_CONFIG_DIR:-~/.claude}/", "~/.claude.json"],
    },
    codex: {
      kind: "codex",
      // exec's default sandbox is read-only: --full-auto lets it write in its workspace.
      command: ["codex", "exec", "--json", "--skip-git-repo-check", "--full-auto", "-m", "{model}", "{task}"],
      // Through the gateway: a provider of its own whose key is the agent's token (Responses wire).
      gatewayArgs: [
        "-c",
        'model_provider="dash"',
        "-c",
        'model_providers.dash={ name = "Dash gateway", base_url = "{gatewayUrl}/openai/v1", env_key = "DASH_AGENT_TOKEN", wire_api = "responses" }',
      ],
      writable: ["${CODEX_HOME:-~/.codex}/"],
    },
    gemini: {
      kind: "gemini",
      command: ["gemini", "-p", "{task}", "--output-format", "stream-json", "-m", "{model}"],
      writable: ["~/.gemini/"],
    },
    opencode: {
      kind: "opencode",
      command: ["opencode", "run", "--format", "json", "-m", "{model}", "{task}"],
      writable: [
        "${XDG_DATA_HOME:-~/.local/share}/opencode/",
        "${XDG_STATE_HOME:-~/.local/state}/opencode/",
        "${XDG_CACHE_HOME:-~/.cache}/opencode/",
        "${XDG_CONFIG_HOME:-~/.config}/opencode/",
      ],
    },
    demo: { kind: "demo", command: [...selfArgv(), "__demo-agent", "{seconds}"], seconds: 10 },
    openai: {
      kind: "openai",
      baseUrl: process.env.OPENAI_BASE_URL || "https://api.openai.com/v1",
      apiKeyEnv: "OPENAI_API_KEY",
    },
    openclaw: { kind: "openclaw" },
  };
}

/**
 * The presets a server offers: the built-in ones, then config.yaml's, each on top of the built-in
 * preset of its kind (so `{ kind: claude-code, model: … }` keeps Claude's argv, resume and budget
 * arguments). The `openclaw:` section (or OPENCLAW_GATEWAY_URL / _TOKEN) sets the gateway of every
 * openclaw preset that names none itself.
 */
export function presetsWith(
  custom: Record<string, ConfigPreset>,
  openclaw: { gatewayUrl?: string; token?: string } = {},
): Record<string, RuntimePreset> {
  const builtIn = builtInPresets();
  builtIn.openclaw = {
    kind: "openclaw",
    ...(openclaw.gatewayUrl ? { gatewayUrl: openclaw.gatewayUrl } : {}),
    ...(openclaw.token ? { env: { OPENCLAW_GATEWAY_TOKEN: openclaw.token } } : {}),
  };
  const merged = { ...builtIn };
  for (const [name, preset] of Object.entries(custom)) {
    const base = builtIn[preset.kind];
    const env = base?.env || preset.env ? { ...base?.env, ...preset.env } : undefined;
    merged[name] = { ...base, ...preset, ...(env ? { env } : {}) };
  }
  return merged;
}

// Resolving a preset into an argv and a parser lives beside it; imported from here as before.
export { type ResolvedRuntime, type RuntimeChoice, resolveRuntime } from "./resolve-runtime.ts";
