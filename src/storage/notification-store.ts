import type {
  NotificationRecord,
  NotificationStatus,
  SinkFormat,
  SinkRecord,
} from "../domain/notification.ts";

/**
 * What notifications need from a database (part of Store). Outbox rows are never written here: a
 * trigger on `events` makes them in the event's transaction (migrations/009_notifications.sql).
 * These methods only move a row along: claimed (with a lease, so a node that dies mid-delivery
 * leaves it to be claimed again), delivered, retried later, or dead.
 */
export interface NotificationStore {
  /** Makes the sinks of `origin` exactly these (config.yaml's at every start); the others stay. */
  syncSinks(origin: SinkRecord["origin"], sinks: SinkRecord[]): Promise<void>;
  /** Adds or replaces a sink (by name). */
  putSink(sink: SinkRecord): Promise<void>;
  /** Removes a sink; its undelivered notifications stay listed (and dead-letter in time). */
  deleteSink(name: string): Promise<boolean>;
  listSinks(): Promise<SinkRecord[]>;
  /**
   * Takes up to `limit` pending notifications due by `now` for delivery: each gets its attempt
   * counted and its next try moved to `leaseUntil`, in one statement, so two nodes never take one.
   */
  claimNotifications(now: number, leaseUntil: number, limit: number): Promise<NotificationRecord[]>;
  /** What the attempt `attempt` of a claimed notification came to (ignored if it was claimed again). */
  settleNotification(id: number, attempt: number, outcome: DeliveryOutcome): Promise<void>;
  /** Newest first. */
  listNotifications(query?: NotificationQuery): Promise<NotificationRecord[]>;
  /** Makes dead notifications (these, or all) pending again, due now; how many it moved. */
  retryNotifications(ids: number[] | "dead", now: number): Promise<number>;
  /** Counts by status (for /metrics and `dash notifications list`). */
  notificationCounts(): Promise<Record<NotificationStatus, number>>;
}

export type DeliveryOutcome =
  | { status: "delivered"; at: number }
  | { status: "pending"; nextAt: number; error: string }
  | { status: "dead"; error: string };

export interface NotificationQuery {
  status?: NotificationStatus;
  sink?: string;
  /** Older than this id (cursor). */
  beforeId?: number;
  limit?: number;
}

type Row = Record<string, unknown>;

export function sinkFromRow(r: Row, patterns: string[]): SinkRecord {
  return {
    name: String(r.name),
    url: r.url == null ? null : String(r.url),
    plugin: r.plugin == null ? null : String(r.plugin),
    events: patterns,
    swarmId: r.swarm_id == null ? null : String(r.swarm_id),
    secret: r.secret == null ? null : String(r.secret),
    format: String(r.format) as SinkFormat,
    origin: String(r.origin) as SinkRecord["origin"],
    createdAt: Number(r.created_at),
  };
}

export const SINKS_SELECT = "SELECT * FROM notification_sinks ORDER BY name";
export const SINK_PATTERNS_SELECT = "SELECT sink, pattern FROM notification_sink_events ORDER BY pattern";

/** Sinks with their patterns, from the rows of both tables (both stores read them alike). */
export function sinksFromRows(sinks: Row[], patterns: Row[]): SinkRecord[] {
  const bySink = new Map<string, string[]>();
  for (const r of patterns)
    bySink.set(String(r.sink), [...(bySink.get(String(r.sink)) ?? []), String(r.pattern)]);
  return sinks.map((r) => sinkFromRow(r, bySink.get(String(r.name)) ?? []));
}

export function notificationFromRow(r: Row): NotificationRecord {
  return {
    id: Number(r.id),
    eventId: String(r.event_id),
    sink: String(r.sink),
    type: String(r.type),
    source: String(r.source),
    data: JSON.parse(String(r.data)) as Record<string, unknown>,
    timestamp: Number(r.timestamp),
    status: String(r.status) as NotificationStatus,
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
    retryFrom: Number(r.retry_from),
    deliveredAt: r.delivered_at == null ? null : Number(r.delivered_at),
    lastError: r.last_error == null ? null : String(r.last_error),
  };
}

/** Sink columns, in the order both stores insert them. */
export function sinkValues(s: SinkRecord): (string | number | null)[] {
  return [s.name, s.url, s.plugin, s.format, s.secret, s.swarmId, s.origin, s.createdAt];
}

export const SINK_INSERT =
  "INSERT INTO notification_sinks (name, url, plugin, format, secret, swarm_id, origin, created_at)";

export const EMPTY_COUNTS: Record<NotificationStatus, number> = { pending: 0, delivered: 0, dead: 0 };
