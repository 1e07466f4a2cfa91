import type { SinkPlugin } from "../notify/sink-plugin.ts";
import { builtInPresets, type RuntimePreset } from "../runtimes/presets.ts";
import { type LoadedPlugins, type LoadedRuntime, loadPlugins, pluginError } from "./loader.ts";
import { pluginPreset } from "./runtime-preset.ts";

/**
 * What the plugins a server loads add: its runtime presets (the built-in ones, config.yaml's and
 * the plugins' runtimes, each selectable by name in `config.runtime`) and the sinks the notifier
 * may deliver to (`notify.sinks.<name>: { plugin: <name> }`).
 */
export interface ServerPlugins {
  presets: Record<string, RuntimePreset>;
  sinks: ReadonlyMap<string, SinkPlugin>;
}

/**
 * The presets with each plugin runtime added under its name. A name that a built-in runtime or
 * config.yaml's `runtimes:` already has is refused, naming the plugin: one name, one runtime.
 */
export function withPluginRuntimes(
  presets: Record<string, RuntimePreset>,
  runtimes: ReadonlyMap<string, LoadedRuntime>,
): Record<string, RuntimePreset> {
  const builtIn = builtInPresets();
  const merged = { ...presets };
  for (const [name, loaded] of runtimes) {
    if (Object.hasOwn(merged, name)) {
      const owner = Object.hasOwn(builtIn, name)
        ? "a built-in runtime's name"
        : "already a runtime under runtimes: in config.yaml";
      throw pluginError(loaded.where, `runtime "${name}" cannot be added: "${name}" is ${owner}`, {
        key: loaded.key,
        file: loaded.file,
        runtime: name,
      });
    }
    merged[name] = pluginPreset(loaded.plugin, loaded.file);
  }
  return merged;
}

/** Loads config.yaml's `plugins:` (a CONFIG_ERROR naming the file if one is broken) over the presets. */
export async function loadServerPlugins(
  config: { plugins: readonly string[]; home: string },
  presets: Record<string, RuntimePreset>,
): Promise<ServerPlugins> {
  const loaded: LoadedPlugins = await loadPlugins(config.plugins, config.home);
  return { presets: withPluginRuntimes(presets, loaded.runtimes), sinks: loaded.sinks };
}
