import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { DashError } from "../domain/errors.ts";
import type { SinkPlugin } from "../notify/sink-plugin.ts";
import { type Plugin, PluginSchema, type RuntimePlugin } from "./schema.ts";

/**
 * Loads the modules config.yaml's `plugins:` lists (paths relative to DASH_HOME, or absolute) with
 * `import()`, which Bun does for .ts and .js files from the compiled binary too, and checks what
 * each exports. Anything wrong stops the start with a CONFIG_ERROR that names the file and the
 * problem: a plugin that is half there is worse than none.
 */

/** A runtime plugin and where it came from (its messages name the file). */
export interface LoadedRuntime {
  plugin: RuntimePlugin;
  file: string;
  /** `plugin <file> (plugins[i] …)`, the start of every message about it. */
  where: string;
  /** Its config key, `plugins.<i>`. */
  key: string;
}

export interface LoadedPlugins {
  runtimes: ReadonlyMap<string, LoadedRuntime>;
  sinks: ReadonlyMap<string, SinkPlugin>;
}

/** Where a `plugins:` entry points: relative to DASH_HOME unless absolute. */
export const pluginFile = (entry: string, home: string) => (isAbsolute(entry) ? entry : resolve(home, entry));

export function pluginError(where: string, problem: string, details: Record<string, unknown>): DashError {
  return new DashError("CONFIG_ERROR", `${where}: ${problem}`, details);
}

/** A syntax error names its line and column; other failures say what import() said. */
function importProblem(error: unknown): string {
  const all = error instanceof AggregateError && error.errors.length > 0 ? error.errors : [error];
  const first = all[0] as { message?: unknown; position?: { line?: number; column?: number } | null };
  const message = typeof first?.message === "string" ? first.message : String(first);
  const more = all.length > 1 ? ` (and ${all.length - 1} more)` : "";
  const at = first?.position;
  if (error instanceof AggregateError && at?.line)
    return `syntax error at line ${at.line}, column ${at.column ?? 0}: ${message}${more}`;
  return `importing it failed: ${message}${more}`;
}

function shapeProblem(error: z.ZodError, item: unknown): string {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join(".");
  const message = issue?.message;
  const name = item && typeof item === "object" && "name" in item ? ` "${String(item.name)}"` : "";
  return `${path ? `${path}: ` : ""}${message}${name ? ` (in the plugin${name})` : ""}`;
}

/** What the module exports as plugins: its default export, or `plugin`; one, or an array. */
async function exportsOf(file: string, where: string, details: Record<string, unknown>): Promise<Plugin[]> {
  let found: unknown;
  try {
    found = (await import(file)) as unknown;
  } catch (error) {
    throw pluginError(where, importProblem(error), details);
  }
  const mod = found as { default?: unknown; plugin?: unknown };
  const exported = mod.default ?? mod.plugin;
  if (exported === undefined) {
    throw pluginError(where, "exports no plugin: `export default { kind, name, … }` (or an array)", details);
  }
  const items = Array.isArray(exported) ? exported : [exported];
  if (items.length === 0) throw pluginError(where, "exports an empty array of plugins", details);
  return items.map((item, i) => {
    if (typeof item !== "object" || item === null) {
      throw pluginError(
        where,
        `its export${Array.isArray(exported) ? ` [${i}]` : ""} is not an object`,
        details,
      );
    }
    const checked = PluginSchema.safeParse(item);
    if (!checked.success) {
      const which = Array.isArray(exported) ? `export [${i}]` : "the export";
      throw pluginError(where, `${which}: ${shapeProblem(checked.error, item)}`, details);
    }
    // The object itself, not zod's copy: its methods may use `this`.
    return item as Plugin;
  });
}

/** Loads every module in order; a name two plugins both add is refused. */
export async function loadPlugins(entries: readonly string[], home: string): Promise<LoadedPlugins> {
  const runtimes = new Map<string, LoadedRuntime>();
  const sinks = new Map<string, SinkPlugin & { where: string }>();
  for (const [index, entry] of entries.entries()) {
    const file = pluginFile(entry, home);
    const where = `plugin ${file} (plugins[${index}] in config.yaml)`;
    const details = { key: `plugins.${index}`, file };
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) throw pluginError(where, "file not found", details);
    if (!stat.isFile()) throw pluginError(where, "is not a file (name the module itself)", details);
    for (const plugin of await exportsOf(file, where, details)) {
      const seen = plugin.kind === "runtime" ? runtimes.get(plugin.name) : sinks.get(plugin.name);
      if (seen) {
        const other = seen.where === where ? "this file" : seen.where;
        throw pluginError(where, `${plugin.kind} "${plugin.name}" is already added by ${other}`, details);
      }
      if (plugin.kind === "runtime") runtimes.set(plugin.name, { plugin, file, where, key: details.key });
      else sinks.set(plugin.name, sinkOf(plugin, where));
    }
  }
  return { runtimes, sinks };
}

/** The SinkPlugin the notifier calls: deliver called on the plugin object, so `this` is kept. */
function sinkOf(plugin: Extract<Plugin, { kind: "sink" }>, where: string): SinkPlugin & { where: string } {
  return {
    name: plugin.name,
    where,
    // async: a deliver that throws at once is a rejected delivery too, retried like any other.
    deliver: async (notification, options) => plugin.deliver(notification, options),
  };
}
