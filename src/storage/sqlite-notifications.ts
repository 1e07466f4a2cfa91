import type { Database } from "bun:sqlite";
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
import { immediate, retryBusy } from "./sqlite-db.ts";

type Row = Record<string, string | number | null>;

function writeSink(db: Database, sink: SinkRecord): void {
  db.query("DELETE FROM notification_sinks WHERE name = ?").run(sink.name);
  db.query(`${SINK_INSERT} VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(...sinkValues(sink));
  const pattern = db.query("INSERT OR IGNORE INTO notification_sink_events (sink, pattern) VALUES (?, ?)");
  for (const p of sink.events) pattern.run(sink.name, p);
}

/** The NotificationStore of one SQLite file (see notification-store.ts). */
export class SqliteNotifications implements NotificationStore {
  constructor(private readonly db: Database) {}

  async syncSinks(origin: SinkRecord["origin"], sinks: SinkRecord[]) {
    immediate(this.db, () => {
      this.db.query("DELETE FROM notification_sinks WHERE origin = ?").run(origin);
      for (const sink of sinks) writeSink(this.db, sink);
    });
  }

  async putSink(sink: SinkRecord) {
    immediate(this.db, () => writeSink(this.db, sink));
  }

  async deleteSink(name: string) {
    return (
      retryBusy(() => this.db.query("DELETE FROM notification_sinks WHERE name = ?").run(name)).changes > 0
    );
  }

  async listSinks() {
    return sinksFromRows(
      this.db.query<Row, []>(SINKS_SELECT).all(),
      this.db.query<Row, []>(SINK_PATTERNS_SELECT).all(),
    );
  }

  async claimNotifications(now: number, leaseUntil: number, limit: number) {
    const claimed = retryBusy(() =>
      this.db
        .query<Row, [number, number, number]>(
          `UPDATE notifications SET next_at = ?, attempts = attempts + 1
           WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_at <= ?
                        ORDER BY next_at, id LIMIT ?)
           RETURNING *`,
        )
        .all(leaseUntil, now, limit),
    );
    return claimed.map(notificationFromRow).sort((a, b) => a.id - b.id);
  }

  async settleNotification(id: number, attempt: number, outcome: DeliveryOutcome) {
    const q = (sql: string, ...params: (string | number)[]) =>
      retryBusy(() =>
        this.db
          .query(`${sql} WHERE id = ? AND attempts = ? AND status = 'pending'`)
          .run(...params, id, attempt),
      );
    if (outcome.status === "delivered")
      q("UPDATE notifications SET status = 'delivered', delivered_at = ?, last_error = NULL", outcome.at);
    else if (outcome.status === "pending")
      q("UPDATE notifications SET next_at = ?, last_error = ?", outcome.nextAt, outcome.error);
    else q("UPDATE notifications SET status = 'dead', last_error = ?", outcome.error);
  }

  async listNotifications(query: NotificationQuery = {}): Promise<NotificationRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      params.push(value);
    };
    add("status = ?", query.status);
    add("sink = ?", query.sink);
    add("id < ?", query.beforeId);
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    return this.db
      .query<Row, (string | number)[]>(`SELECT * FROM notifications ${clause} ORDER BY id DESC LIMIT ?`)
      .all(...params, query.limit ?? 100)
      .map(notificationFromRow);
  }

  async retryNotifications(ids: number[] | "dead", now: number) {
    const set =
      "UPDATE notifications SET status = 'pending', next_at = ?, retry_from = ?, attempts = 0 WHERE status = 'dead'";
    if (ids === "dead") return retryBusy(() => this.db.query(set).run(now, now)).changes;
    return immediate(this.db, () =>
      ids.reduce((n, id) => n + this.db.query(`${set} AND id = ?`).run(now, now, id).changes, 0),
    );
  }

  async notificationCounts() {
    const counts = { ...EMPTY_COUNTS };
    for (const r of this.db
      .query<Row, []>("SELECT status, COUNT(*) AS n FROM notifications GROUP BY status")
      .all())
      counts[String(r.status) as NotificationStatus] = Number(r.n);
    return counts;
  }
}
