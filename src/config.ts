import { existsSync, readFileSync } from "node:fs";
import { homedir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ENV_NAMES, type Env, fromEnv } from "./config-env.ts";
import { CurrencySchema } from "./domain/budget.ts";
import { DashError } from "./domain/errors.ts";
import { NotifyConfigSchema } from "./domain/notification.ts";
import { GatewayConfigSchema, ProviderSchema } from "./domain/provider.ts";
import { DEFAULT_MODEL } from "./domain/swarm.ts";
import { RuntimePresetSchema } from "./runtimes/presets.ts";
import { PriceSchema } from "./runtimes/pricing.ts";

/**
 * Configuration: `$DASH_HOME/config.yaml` (Bun.YAML), then the environment variables of PRD
 * appendix B on top. Every section is strict so a misspelt key is reported, not ignored.
 */
/**
 * A coding-agent CLI takes a few hundred MB and bursts of CPU: 8 per core, and at most one per
 * 512 MiB of memory, and never fewer than 2.
 */
function defaultConcurrency(): number {
  const byMemory = Math.floor(totalmem() / (512 * 1024 * 1024));
  return Math.max(2, Math.min(navigator.hardwareConcurrency * 8, byMemory));
}

const LogLevelSchema = z.enum(["debug", "info", "warn", "error"]);
const port = z.number().int().min(0).max(65_535);

export const ConfigSchema = z.strictObject({
  server: z
    .strictObject({ port: port.default(7373), host: z.string().min(1).default("127.0.0.1") })
    .prefault({}),
  database: z
    .strictObject({
      path: z.string().min(1).optional(),
      /** A PostgreSQL database shared by every node (`postgres://…`); without it, the SQLite file. */
      url: z
        .string()
        .max(4096)
        .regex(/^postgres(ql)?:\/\//, "a postgres:// or postgresql:// URL")
        .optional(),
    })
    .prefault({}),
  log: z.strictObject({ level: LogLevelSchema.default("info") }).prefault({}),
  limits: z
    .strictObject({
      maxAgentsPerSwarm: z.number().int().min(1).max(10_000).default(100),
      rateLimitPerMinute: z.number().int().min(1).default(100),
      swarmCreatesPerMinute: z.number().int().min(1).default(10),
    })
    .prefault({}),
  websocket: z
    .strictObject({
      heartbeatMs: z.number().int().min(1000).max(3_600_000).default(30_000),
      /** Unsent bytes past which a slow `/events` client is closed with 4429. */
      maxBufferBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .max(256 * 1024 * 1024)
        .default(4 * 1024 * 1024),
    })
    .prefault({}),
  events: z
    .strictObject({
      retentionDays: z.number().min(0).default(30),
      retentionMaxRows: z.number().int().min(1000).default(1_000_000),
    })
    .prefault({}),
  budget: z
    .strictObject({
      defaultAmount: z.number().positive().default(10),
      currency: CurrencySchema.default("USD"),
    })
    .prefault({}),
  /** Tree caps for swarms that set none, and how often budgets' burn rate is sampled. */
  swarms: z
    .strictObject({
      maxDepth: z.number().int().min(1).max(20).default(3),
      maxChildren: z.number().int().min(1).max(100).default(10),
      forecastMs: z.number().int().min(50).max(600_000).default(5000),
    })
    .prefault({}),
  defaults: z
    .strictObject({
      runtime: z.string().min(1).default("claude-code"),
      model: z.string().min(1).default(DEFAULT_MODEL),
    })
    .prefault({}),
  /** Named runtime presets added to (or replacing) the built-in ones, DESIGN.md §4. */
  runtimes: z.record(z.string().min(1).max(100), RuntimePresetSchema).default({}),
  /** Per-million-token USD prices by model name prefix, over the built-in table (runtimes/pricing.ts). */
  pricing: z.record(z.string().min(1).max(200), PriceSchema).default({}),
  agents: z
    .strictObject({
      /** Agents running at once; the rest wait as idle. Default from cores and memory. */
      // 0: this server starts no agents (they wait as idle), e.g. to benchmark the API alone.
      maxConcurrency: z.number().int().min(0).max(10_000).default(defaultConcurrency),
      killGraceMs: z.number().int().min(0).max(600_000).default(5000),
      retryBackoffMs: z.number().int().min(0).max(600_000).default(1000),
      pollMs: z.number().int().min(10).max(10_000).default(100),
    })
    .prefault({}),
  /** Several nodes on one PostgreSQL database: how often each beats, and when a silent one's agents are taken over. */
  nodes: z
    .strictObject({
      heartbeatMs: z.number().int().min(100).max(60_000).default(2000),
      leaseMs: z.number().int().min(500).max(600_000).default(15_000),
    })
    .prefault({}),
  /** What agents' file sandboxes hide besides DASH_HOME, and where allowedPaths may point. */
  sandbox: z
    .strictObject({
      /** When set, a swarm's allowedPaths must lie within one of these directories. */
      allowedRoots: z.array(z.string().min(1).max(4096)).max(100).optional(),
      /** More paths no agent may see (~/.ssh, ~/.aws, /root, /var/log and DASH_HOME always are). */
      hide: z.array(z.string().min(1).max(4096)).max(100).default([]),
      /** Who agents run as when the server is root: a user name or uid[:gid] (never root). */
      user: z
        .string()
        .regex(/^([a-z_][a-z0-9_.-]{0,31}|\d+(:\d+)?)$/i, "a user name or uid[:gid]")
        .default("dash-agent"),
    })
    .prefault({}),
  /** Where committed events are delivered (webhooks, Slack, Discord, plugins): src/notify/. */
  notify: NotifyConfigSchema.prefault({}),
  /** Approval requests: when an unanswered one is escalated, and what its timeout does. */
  approvals: z
    .strictObject({
      /** Seconds unanswered after which `approval.escalated` fires (once); unset: never. */
      escalateAfter: z.number().int().min(1).max(86_400).optional(),
      /** What a request's timeout does when the request names none. */
      onTimeout: z.enum(["deny", "approve", "kill"]).default("deny"),
    })
    .prefault({}),
  /** Modules loaded at start (paths, relative to DASH_HOME), each adding runtimes or sinks. */
  plugins: z.array(z.string().min(1).max(4096)).max(100).default([]),
  openclaw: z
    .strictObject({ gatewayUrl: z.url().optional(), token: z.string().min(1).optional() })
    .prefault({}),
  /** Model providers the gateway forwards agents' calls to, with the keys agents never see. */
  providers: z.record(z.string().min(1).max(100), ProviderSchema).default({}),
  gateway: GatewayConfigSchema.prefault({}),
  cors: z
    .strictObject({
      origins: z
        .array(z.string().min(1))
        .default([
          "http://localhost:3000",
          "http://localhost:5173",
          "https://dash.local",
          "https://dash.company.internal",
        ]),
    })
    .prefault({}),
  /** The web dashboard at `/` (src/web/); `dash serve --no-ui` turns it off too. */
  ui: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  api: z
    .strictObject({
      keys: z
        .array(
          z.strictObject({
            name: z.string().min(1),
            key: z.string().min(1),
            permissions: z.array(z.enum(["read", "write", "admin"])).min(1),
          }),
        )
        .default([]),
    })
    .prefault({}),
});
export type Config = z.infer<typeof ConfigSchema> & { home: string; databasePath: string };

export function dashHome(env: Env = process.env): string {
  return resolve(env.DASH_HOME || join(homedir(), ".dash"));
}

function readFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = Bun.YAML.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new DashError("CONFIG_ERROR", `${path} is not valid YAML: ${(error as Error).message}`, {
      file: path,
    });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new DashError(
      "CONFIG_ERROR",
      `${path} must be a YAML mapping of sections (server:, database:, …)`,
      { file: path },
    );
  }
  return parsed as Record<string, unknown>;
}

function valueAt(source: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    source,
  );
}

/** Loads and validates the configuration; a bad value names its key, its value and what is allowed. */
export function loadConfig(env: Env = process.env): Config {
  const home = dashHome(env);
  const file = join(home, "config.yaml");
  const fromFile = readFile(file);
  const envPart = fromEnv(env);
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [section, values] of Object.entries(envPart)) {
    const base = fromFile[section];
    merged[section] = { ...(base && typeof base === "object" ? base : {}), ...values };
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path ?? [];
    const key = path.map(String).join(".");
    const envName = ENV_NAMES[key];
    const origin =
      envName && env[envName] !== undefined ? `environment variable ${envName}` : `${file}: ${key}`;
    const shown = issue?.code === "unrecognized_keys" ? "" : ` = ${JSON.stringify(valueAt(merged, path))}`;
    throw new DashError("CONFIG_ERROR", `Invalid configuration in ${origin}${shown}: ${issue?.message}`, {
      key,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    });
  }
  const databasePath = resolve(home, result.data.database.path ?? "dash.db");
  return { ...result.data, home, databasePath };
}
