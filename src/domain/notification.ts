import { z } from "zod";
import { EventFilterEntrySchema } from "./event.ts";

/**
 * Notifications (issue 27): sinks that committed events are delivered to, through an outbox table
 * filled in the event's own transaction (a trigger on `events`), so a crash can neither lose nor
 * invent one. Delivered at least once; `Dash-Event-Id` lets a receiver drop repeats.
 */

/** What a sink gets when it names no events: the moments a person is needed. */
export const DEFAULT_NOTIFY_EVENTS = [
  "approval.requested",
  "approval.escalated",
  "budget.threshold",
  "budget.exceeded",
  "budget.projected",
  "swarm.completed",
  "swarm.failed",
] as const;

export const SinkFormatSchema = z.enum(["json", "slack", "discord"]);
export type SinkFormat = z.infer<typeof SinkFormatSchema>;

export const SinkNameSchema = z
  .string()
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, "letters, digits, - and _ (at most 63)");

/** One sink, in config.yaml (`notify.sinks.<name>`) or POST /api/notifications/sinks. */
export const SinkFieldsSchema = z.strictObject({
  /** A webhook: POSTed JSON (or Slack/Discord text). */
  url: z
    .url()
    .max(4096)
    .regex(/^https?:\/\//, "an http:// or https:// URL")
    .optional(),
  /** Or a sink a plugin added (`plugins:`), by its name. */
  plugin: z.string().min(1).max(100).optional(),
  /** Event types (`agent.*`, `*`); default DEFAULT_NOTIFY_EVENTS. */
  events: z.array(EventFilterEntrySchema.max(100)).min(1).max(100).optional(),
  /** Only events of this swarm. */
  swarmId: z.ulid().optional(),
  /** Signs each delivery: `Dash-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
  secret: z.string().min(16, "at least 16 characters").max(500).optional(),
  format: SinkFormatSchema.default("json"),
});
export const oneTarget = (s: { url?: string; plugin?: string }) =>
  (s.url === undefined) !== (s.plugin === undefined);
export const ONE_TARGET = { message: "a sink needs exactly one of url or plugin" };
export const SinkConfigSchema = SinkFieldsSchema.refine(oneTarget, ONE_TARGET);
export type SinkConfig = z.infer<typeof SinkConfigSchema>;

export const NotifyConfigSchema = z.strictObject({
  sinks: z.record(SinkNameSchema, SinkConfigSchema).default({}),
  /** One delivery attempt may take this long before it counts as failed. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Retried (exponential backoff with jitter) this long after the event, then dead-lettered. */
  retryForMs: z
    .number()
    .int()
    .min(1000)
    .max(30 * 86_400_000)
    .default(86_400_000),
  /** The first retry's delay; each next one doubles, up to maxBackoffMs. */
  backoffMs: z.number().int().min(10).max(3_600_000).default(2000),
  maxBackoffMs: z.number().int().min(10).max(86_400_000).default(3_600_000),
  /** How often the outbox is looked at when no event woke it. */
  pollMs: z.number().int().min(10).max(60_000).default(1000),
});
export type NotifyConfig = z.infer<typeof NotifyConfigSchema>;

/** A sink as the store keeps it: config.yaml's are re-read at every start, the API's stay. */
export interface SinkRecord {
  name: string;
  url: string | null;
  plugin: string | null;
  /** Patterns with `*`, as given (the trigger matches them with GLOB / LIKE). */
  events: string[];
  swarmId: string | null;
  secret: string | null;
  format: SinkFormat;
  origin: "config" | "api";
  createdAt: number;
}

export const NotificationStatusSchema = z.enum(["pending", "delivered", "dead"]);
export type NotificationStatus = z.infer<typeof NotificationStatusSchema>;

/** One event for one sink: a row of the outbox. */
export interface NotificationRecord {
  id: number;
  eventId: string;
  sink: string;
  type: string;
  source: string;
  data: Record<string, unknown>;
  timestamp: number;
  status: NotificationStatus;
  attempts: number;
  nextAt: number;
  /** Retries are counted from here: the event, or a manual retry of a dead one. */
  retryFrom: number;
  deliveredAt: number | null;
  lastError: string | null;
}
