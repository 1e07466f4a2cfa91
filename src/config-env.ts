import { DashError } from "./domain/errors.ts";

/**
 * The environment variables of PRD appendix B (and OpenClaw's), laid over config.yaml: a partial
 * config, and which variable sets each key, so a bad value says where it came from.
 */
export type Env = Record<string, string | undefined>;

const integer = (name: string, value: string): number => {
  if (!/^-?\d+$/.test(value.trim())) {
    throw new DashError(
      "CONFIG_ERROR",
      `${name}=${JSON.stringify(value)} is not valid: expected a whole number`,
      { key: name },
    );
  }
  return Number(value);
};

/** Environment variables (PRD appendix B) as a partial config, laid over the file. */
export function fromEnv(env: Env): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const set = (section: string, key: string, value: unknown) => {
    out[section] = { ...out[section], [key]: value };
  };
  if (env.DASH_PORT) set("server", "port", integer("DASH_PORT", env.DASH_PORT));
  if (env.DASH_DB_PATH) set("database", "path", env.DASH_DB_PATH);
  if (env.DASH_DATABASE_URL) set("database", "url", env.DASH_DATABASE_URL);
  if (env.DASH_LOG_LEVEL) set("log", "level", env.DASH_LOG_LEVEL);
  if (env.DASH_MAX_AGENTS)
    set("limits", "maxAgentsPerSwarm", integer("DASH_MAX_AGENTS", env.DASH_MAX_AGENTS));
  if (env.DASH_RATE_LIMIT)
    set("limits", "rateLimitPerMinute", integer("DASH_RATE_LIMIT", env.DASH_RATE_LIMIT));
  if (env.DASH_WS_HEARTBEAT)
    set("websocket", "heartbeatMs", integer("DASH_WS_HEARTBEAT", env.DASH_WS_HEARTBEAT));
  if (env.DASH_MAX_CONCURRENCY)
    set("agents", "maxConcurrency", integer("DASH_MAX_CONCURRENCY", env.DASH_MAX_CONCURRENCY));
  if (env.OPENCLAW_GATEWAY_URL) set("openclaw", "gatewayUrl", env.OPENCLAW_GATEWAY_URL);
  // The PRD's OPENCLAW_API_KEY is accepted as the gateway token (DESIGN.md §4).
  const token = env.OPENCLAW_GATEWAY_TOKEN || env.OPENCLAW_API_KEY;
  if (token) set("openclaw", "token", token);
  return out;
}

export const ENV_NAMES: Record<string, string> = {
  "server.port": "DASH_PORT",
  "database.path": "DASH_DB_PATH",
  "database.url": "DASH_DATABASE_URL",
  "log.level": "DASH_LOG_LEVEL",
  "limits.maxAgentsPerSwarm": "DASH_MAX_AGENTS",
  "limits.rateLimitPerMinute": "DASH_RATE_LIMIT",
  "websocket.heartbeatMs": "DASH_WS_HEARTBEAT",
  "agents.maxConcurrency": "DASH_MAX_CONCURRENCY",
  "openclaw.gatewayUrl": "OPENCLAW_GATEWAY_URL",
};
