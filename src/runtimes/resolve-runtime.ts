import type { Metering } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import { ClaudeCodeParser } from "./adapters/claude-code.ts";
import { CodexParser } from "./adapters/codex.ts";
import { GeminiParser } from "./adapters/gemini.ts";
import { OpencodeParser } from "./adapters/opencode.ts";
import { type GatewayChoice, gatewayWiring } from "./gateway-wiring.ts";
import { openaiRuntime } from "./openai-runtime.ts";
import { openclawRuntime } from "./openclaw-runtime.ts";
import type { RuntimeKind, RuntimePreset } from "./presets.ts";
import { modelKey, PRICES, type Price } from "./pricing.ts";
import { ReportProtocolParser } from "./report-protocol.ts";
import type { OutputParser } from "./runtime.ts";

/**
 * A preset made into what runs one agent: its argv (placeholders replaced as whole arguments, never
 * through a shell), env, output parser, whether it resumes a session, and how its spend is metered.
 */
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
