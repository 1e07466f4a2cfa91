import { DashError } from "../domain/errors.ts";
import type { PluginRunContext, RuntimePreset } from "../runtimes/presets.ts";
import { boundReports, ReportProtocolParser } from "../runtimes/report-protocol.ts";
import type { OutputParser, Report } from "../runtimes/runtime.ts";
import { ArgvSchema, ReportSchema, type RuntimePlugin } from "./schema.ts";

/**
 * A runtime plugin as a preset (kind "plugin"): resolveRuntime calls its `command` for the argv,
 * and every run gets a parser that calls its `parse`. The plugin's code runs in the server, but
 * only these two functions: it never sees the database or the store, and the agent it starts
 * runs under the shim and sandbox like any other.
 */
export function pluginPreset(plugin: RuntimePlugin, file: string): RuntimePreset {
  return {
    kind: "plugin",
    ...(plugin.env ? { env: { ...plugin.env } } : {}),
    ...(plugin.writable ? { writable: [...plugin.writable] } : {}),
    plugin: {
      file,
      argv: (context) => argvOf(plugin, file, context),
      parser: () => parserOf(plugin),
    },
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function describe(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array with a non-string in it";
  return value === null ? "null" : typeof value;
}

/** The plugin's argv for one attempt; a throw or a wrong value is a DashError naming the plugin. */
function argvOf(plugin: RuntimePlugin, file: string, context: PluginRunContext): string[] {
  const where = `runtime "${plugin.name}" (plugin ${file})`;
  let argv: unknown;
  try {
    argv = plugin.command({ ...context, blockedCommands: [...context.blockedCommands] });
  } catch (error) {
    throw new DashError("VALIDATION_ERROR", `${where}: command() threw: ${messageOf(error)}`, {
      field: "config.runtime",
      plugin: file,
    });
  }
  const parsed = ArgvSchema.safeParse(argv);
  if (parsed.success) return parsed.data;
  const got = argv instanceof Promise ? "a Promise (it must not be async)" : describe(argv);
  throw new DashError(
    "VALIDATION_ERROR",
    `${where}: command() must return an argv, a non-empty array of strings; it returned ${got}`,
    { field: "config.runtime", plugin: file },
  );
}

/**
 * The plugin's parse as an OutputParser. As in the report protocol, an agent's output never stops
 * its supervisor: a line parse throws on, and whatever it returns that is not a Report, stay log.
 */
function parserOf(plugin: RuntimePlugin): OutputParser {
  const { parse } = plugin;
  if (!parse) return new ReportProtocolParser();
  return {
    line(text: string): Report[] {
      let found: unknown;
      try {
        found = parse.call(plugin, text);
      } catch {
        return [];
      }
      const list: unknown[] = Array.isArray(found) ? found : found == null ? [] : [found];
      const reports = list.flatMap((r) => {
        const checked = ReportSchema.safeParse(r);
        return checked.success ? [checked.data] : [];
      });
      return boundReports(reports);
    },
  };
}
