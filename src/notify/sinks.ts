import { DashError } from "../domain/errors.ts";
import { DEFAULT_NOTIFY_EVENTS, type SinkConfig, type SinkRecord } from "../domain/notification.ts";
import type { SinkPlugin } from "./sink-plugin.ts";

/** A sink's record from its config (config.yaml or the API): default events, no secret in clear. */
export function sinkRecord(
  name: string,
  config: SinkConfig,
  origin: SinkRecord["origin"],
  now: number,
): SinkRecord {
  return {
    name,
    url: config.url ?? null,
    plugin: config.plugin ?? null,
    events: [...new Set(config.events ?? DEFAULT_NOTIFY_EVENTS)],
    swarmId: config.swarmId ?? null,
    secret: config.secret ?? null,
    format: config.format,
    origin,
    createdAt: now,
  };
}

/** A sink naming a plugin that was not loaded can never deliver: refused when it is declared. */
export function checkPlugin(
  name: string,
  config: SinkConfig,
  plugins: ReadonlyMap<string, SinkPlugin>,
): void {
  if (!config.plugin || plugins.has(config.plugin)) return;
  const known = [...plugins.keys()].sort().join(", ") || "none (add one under plugins:)";
  throw new DashError(
    "CONFIG_ERROR",
    `sink "${name}" names the plugin "${config.plugin}", which is not loaded; sink plugins: ${known}`,
    {
      key: `notify.sinks.${name}.plugin`,
    },
  );
}

/** What the API shows of a sink: never its secret, only whether it has one. */
export function sinkResponse(s: SinkRecord) {
  return {
    name: s.name,
    url: s.url,
    plugin: s.plugin,
    events: s.events,
    swarmId: s.swarmId,
    format: s.format,
    signed: s.secret !== null,
    origin: s.origin,
    createdAt: new Date(s.createdAt).toISOString(),
  };
}
