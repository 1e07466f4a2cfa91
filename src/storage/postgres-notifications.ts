import type { NotificationRecord, NotificationStatus, SinkRecord } from "../domain/notification.ts";
import {
  type DeliveryOutcome,
  EMPTY_COUNTS,
  type NotificationQuery,
  type NotificationStore,
  notificationFromRow,
  SINK_INSERT,
  SINK_PATTERNS_SELECT,
  SINKS_SELECT,
  sinksFromRows,
  sinkValues,
} from "./notification-store.ts";
import { type Pg, rows, run, transaction } from "./postgres-db.ts";

async function writeSink(tx: Pg, sink: SinkRecord): Promise<void> {
  await run(tx, "DELETE FROM notification_sinks WHERE name = $1", [sink.name]);
  await run(tx, `${SINK_INSERT} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, sinkValues(sink));
  for (const p of new Set(sink.events))
    await run(tx, "INSERT INTO notification_sink_events (sink, pattern) VALUES ($1, $2)", [sink.name, p]);
}

/** The NotificationStore on PostgreSQL: the same rows as SQLite's, claimed with SKIP LOCKED. */
export class PostgresNotifications implements NotificationStore {
  constructor(private readonly ready: Promise<Pg>) {}

  async syncSinks(origin: SinkRecord["origin"], sinks: SinkRecord[]) {
    await transaction(await this.ready, async (tx) => {
      await run(tx, "DELETE FROM notification_sinks WHERE origin = $1", [origin]);
      for (const sink of sinks) await writeSink(tx, sink);
    });
  }

  async putSink(sink: SinkRecord) {
    await transaction(await this.ready, (tx) => writeSink(tx, sink));
  }

  async deleteSink(name: string) {
    return (await run(await this.ready, "DELETE FROM notification_sinks WHERE name = $1", [name])) > 0;
  }

  async listSinks() {
    const pg = await this.ready;
    return sinksFromRows(await rows(pg, SINKS_SELECT), await rows(pg, SINK_PATTERNS_SELECT));
  }

  async claimNotifications(now: number, leaseUntil: number, limit: number) {
    const claimed = await rows(
      await this.ready,
      `UPDATE notifications SET next_at = $1, attempts = attempts + 1
       WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_at <= $2
                    ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [leaseUntil, now, limit],
    );
    return claimed.map(notificationFromRow).sort((a, b) => a.id - b.id);
  }

  async settleNotification(id: number, attempt: number, outcome: DeliveryOutcome) {
    const [set, values]: [string, (string | number | null)[]] =
      outcome.status === "delivered"
        ? ["status = 'delivered', delivered_at = $3, last_error = NULL", [outcome.at]]
        : outcome.status === "pending"
          ? ["next_at = $3, last_error = $4", [outcome.nextAt, outcome.error]]
          : ["status = 'dead', last_error = $3", [outcome.error]];
    await run(
      await this.ready,
      `UPDATE notifications SET ${set} WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [id, attempt, ...values],
    );
  }

  async listNotifications(query: NotificationQuery = {}): Promise<NotificationRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      params.push(value);
      where.push(clause.replace("?", `$${params.length}`));
    };
    add("status = ?", query.status);
    add("sink = ?", query.sink);
    add("id < ?", query.beforeId);
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    params.push(query.limit ?? 100);
    const found = await rows(
      await this.ready,
      `SELECT * FROM notifications ${clause} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return found.map(notificationFromRow);
  }

  async retryNotifications(ids: number[] | "dead", now: number) {
    const set =
      "UPDATE notifications SET status = 'pending', next_at = $1, retry_from = $1, attempts = 0 WHERE status = 'dead'";
    const pg = await this.ready;
    if (ids === "dead") return run(pg, set, [now]);
    if (ids.length === 0) return 0;
    return run(pg, `${set} AND id = ANY($2::bigint[])`, [now, `{${ids.map(Number).join(",")}}`]);
  }

  async notificationCounts() {
    const counts = { ...EMPTY_COUNTS };
    for (const r of await rows(
      await this.ready,
      "SELECT status, COUNT(*) AS n FROM notifications GROUP BY status",
    ))
      counts[String(r.status) as NotificationStatus] = Number(r.n);
    return counts;
  }
}
