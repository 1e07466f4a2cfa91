import { z } from "zod";
import type { Metering } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import { ClaudeCodeParser } from "./adapters/claude-code.ts";
import { CodexParser } from "./adapters/codex.ts";
import { GeminiParser } from "./adapters/gemini.ts";
import { OpencodeParser } from "./adapters/opencode.ts";
import { type GatewayChoice, gatewayWiring } from "./gateway-wiring.ts";
import { openaiRuntime } from "./openai-runtime.ts";
import { openclawRuntime } from "./openclaw-runtime.ts";
import { modelKey, PRICES, type Price, PriceSchema } from "./pricing.ts";
import { ReportProtocolParser } from "./report-protocol.ts";
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

export interface ResolvedRuntime {
  name: string;
  kind: RuntimeKind;
  argv: string[];
  env: Record<string, string>;
  parser: () => OutputParser;
  /** The run continues the reported session (the preset knows how) instead of starting over. */
  resumes: boolean;
  /** Paths (unexpanded) the CLI writes besides its workspace: see RuntimePreset.writable. */
  writable: string[];
  /** "gateway": its model calls go through Dash's gateway (admitted first); else it reports usage. */
  metering: Metering;
  /** Env variables that get the agent's token (its key to the gateway, in place of a provider key). */
  gatewayKeyEnv: string[];
  /** What pause and resume do besides stopping and continuing the process (OpenClaw's sessions). */
  control?: { pause(workspace: string): Promise<void>; resume(workspace: string): Promise<void> };
}

const PARSERS: Record<RuntimeKind, (model: string, prices: Record<string, Price>) => OutputParser> = {
  command: () => new ReportProtocolParser(),
  demo: () => new ReportProtocolParser(),
  "claude-code": (model) => new ClaudeCodeParser(model),
  codex: (model, prices) => new CodexParser(model, prices),
  gemini: (model, prices) => new GeminiParser(model, prices),
  opencode: (model) => new OpencodeParser(model),
  openai: () => new ReportProtocolParser(),
  openclaw: () => new ReportProtocolParser(),
  plugin: () => new ReportProtocolParser(),
};

export interface RuntimeChoice {
  runtime?: string;
  command?: string[];
  model: string;
  task: string;
  input?: string;
  agentId: string;
  /** The agent that spawned this one (the tree strategy), if any. */
  parentId?: string | null;
  /** Resume this session (a lost run that reported one), if the preset can. */
  session?: string | null;
  /** What remains of the swarm's USD budget, for presets that take a spending cap. */
  budgetUsd?: number | null;
  /** The swarm's blockedCommands, passed on to presets that can refuse them themselves. */
  blockedCommands?: string[];
  /** Dash's gateway, when providers are configured: CLIs that can use it are pointed at it. */
  gateway?: GatewayChoice;
}

const RESUME_TASK =
  "Your previous run of this task was interrupted. Continue where you left off.\n\nThe task:\n";

/** The argv and parser for an agent, or a DashError that names what is missing. */
export function resolveRuntime(
  choice: RuntimeChoice,
  presets: Record<string, RuntimePreset>,
  defaultRuntime: string,
  prices: Record<string, Price> = PRICES,
): ResolvedRuntime {
  const name = choice.command ? "command" : (choice.runtime ?? defaultRuntime);
  const preset = presets[name];
  if (!preset) {
    throw new DashError(
      "VALIDATION_ERROR",
      `unknown runtime "${name}"; runtimes here: ${Object.keys(presets).sort().join(", ")}`,
      { field: "config.runtime" },
    );
  }
  const model = preset.model ?? choice.model;
  const table = preset.price ? { ...prices, [modelKey(model)]: preset.price } : prices;
  const wiring = gatewayWiring(preset.kind, Boolean(choice.command), choice.gateway);
  const gatewayFields = { metering: wiring.metering, gatewayKeyEnv: wiring.keyEnv };
  const withGateway = (r: Omit<ResolvedRuntime, "metering" | "gatewayKeyEnv">): ResolvedRuntime => ({
    ...r,
    ...gatewayFields,
    env: { ...wiring.env, ...r.env },
  });
  if (preset.kind === "openai" && !choice.command)
    return withGateway(openaiRuntime(name, preset, choice, model, table, wiring.gatewayUrl));
  if (preset.kind === "openclaw" && !choice.command)
    return withGateway(openclawRuntime(name, preset, choice, model));
  if (preset.plugin && !choice.command) {
    const context = {
      task: choice.task,
      input: choice.input ?? null,
      model,
      agentId: choice.agentId,
      parentId: choice.parentId ?? null,
      budgetUsd: choice.budgetUsd ?? null,
      blockedCommands: choice.blockedCommands ?? [],
    };
    const argv = preset.plugin.argv(context);
    const { env = {}, writable = [] } = preset;
    return withGateway({
      name,
      kind: "plugin",
      argv,
      env,
      parser: preset.plugin.parser,
      resumes: false,
      writable,
    });
  }
  const template = choice.command ?? preset.command;
  if (!template) {
    throw new DashError("VALIDATION_ERROR", `runtime "${name}" needs config.command (an argv array)`, {
      field: "config.command",
    });
  }
  const resumes = Boolean(choice.session && preset.resumeArgs && !choice.command);
  // A template without {input} (the CLIs) gets the input with the task.
  const usesInput = template.some((arg) => arg.includes("{input}"));
  const task = choice.input && !usesInput ? `${choice.task}\n\nInput:\n${choice.input}` : choice.task;
  const values: Record<string, string> = {
    task: resumes ? RESUME_TASK + task : task,
    session: choice.session ?? "",
    budgetUsd: String(choice.budgetUsd ?? ""),
    input: choice.input ?? "",
    model,
    agentId: choice.agentId,
    seconds: String(preset.seconds ?? 10),
    gatewayUrl: wiring.gatewayUrl ?? "",
  };
  const blocked = choice.command ? [] : (choice.blockedCommands ?? []);
  const extra = [
    ...blocked.flatMap((command) =>
      (preset.blockedArgs ?? []).map((arg) => arg.replaceAll("{command}", command)),
    ),
    ...(resumes ? (preset.resumeArgs ?? []) : []),
    ...(choice.budgetUsd != null && !choice.command ? (preset.budgetArgs ?? []) : []),
    ...(wiring.gatewayUrl ? (preset.gatewayArgs ?? []) : []),
  ];
  const argv = [...template, ...extra].map((arg) =>
    arg.replace(
      /\{(task|input|model|agentId|seconds|session|budgetUsd|gatewayUrl)\}/g,
      (_, key) => values[key] ?? "",
    ),
  );
  const parser = () => PARSERS[preset.kind](model, table);
  const writable = preset.writable ?? [];
  return withGateway({ name, kind: preset.kind, argv, env: preset.env ?? {}, parser, resumes, writable });
}
