import { z } from "zod";
import { ProgressReportSchema, UsageReportSchema } from "../domain/agent.ts";
import { SinkNameSchema } from "../domain/notification.ts";
import type { Notification } from "../notify/sink-plugin.ts";
import type { PluginRunContext } from "../runtimes/presets.ts";
import type { Report } from "../runtimes/runtime.ts";

/**
 * What a plugin module (config.yaml `plugins:`) exports, checked when `dash serve` starts: its
 * default export, or a named export `plugin`, is one plugin or an array of them. Each is a runtime
 * (a task → argv, output lines → reports) or a notification sink. Only the shape is checked here;
 * what the functions return is checked when they are called (runtime-preset.ts).
 */

/** A runtime a plugin adds: selectable by its name in a swarm's `config.runtime`, like a preset. */
export interface RuntimePlugin {
  kind: "runtime";
  name: string;
  description?: string;
  /** The argv of one attempt (never a shell string); it runs in the agent's workspace. */
  command(context: PluginRunContext): string[];
  /** The reports in one output line (stateless); without it, lines follow the `{"dash":…}` protocol. */
  parse?(line: string): Report[];
  /** Added to the agent's environment. */
  env?: Record<string, string>;
  /** What it writes besides its workspace, writable in the sandbox (see RuntimePreset.writable). */
  writable?: string[];
}

/** A notification sink a plugin adds: `notify.sinks.<name>: { plugin: <its name> }` uses it. */
export interface SinkPluginExport {
  kind: "sink";
  name: string;
  description?: string;
  deliver(notification: Notification, options: { signal: AbortSignal }): Promise<void>;
}

export type Plugin = RuntimePlugin | SinkPluginExport;

const fn = <T>(what: string) =>
  z.custom<T>((value) => typeof value === "function", { message: `must be a function (${what})` });

/** Letters, digits, - and _: a runtime name goes into URLs, config keys and messages. */
export const PluginNameSchema = SinkNameSchema;

// Not strict: a plugin object may carry its own helpers and state (its methods see it as `this`).
const RuntimePluginSchema = z.object({
  kind: z.literal("runtime"),
  name: PluginNameSchema,
  description: z.string().max(1000).optional(),
  command: fn<RuntimePlugin["command"]>("context => argv"),
  parse: fn<NonNullable<RuntimePlugin["parse"]>>("line => reports").optional(),
  env: z.record(z.string(), z.string()).optional(),
  writable: z.array(z.string().min(1).max(4096)).max(50).optional(),
});

const SinkPluginSchema = z.object({
  kind: z.literal("sink"),
  name: PluginNameSchema,
  description: z.string().max(1000).optional(),
  deliver: fn<SinkPluginExport["deliver"]>("(notification, { signal }) => Promise<void>"),
});

export const PluginSchema = z.discriminatedUnion(
  "kind",
  [RuntimePluginSchema, SinkPluginSchema],
  // The default ("Invalid input") says nothing about what was expected.
  { error: () => 'a plugin needs kind: "runtime" or kind: "sink"' },
);

/** The argv a runtime's `command` returns: what execve takes (config.command's bounds). */
export const ArgvSchema = z.array(z.string().max(10_000)).min(1).max(1000);

/** A report a runtime's `parse` returns (runtime.ts's Report, checked like the report protocol). */
export const ReportSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("progress") }).extend(ProgressReportSchema.shape),
    z.object({ kind: z.literal("usage"), usage: UsageReportSchema }),
    z.object({ kind: z.literal("result"), value: z.unknown() }),
    z.object({ kind: z.literal("session"), id: z.string().min(1) }),
    z.object({ kind: z.literal("error"), message: z.string() }),
  ])
  .refine((r) => r.kind !== "progress" || r.total === 0 || r.current <= r.total, {
    message: "progress: current must not exceed total",
  }) as z.ZodType<Report>;
