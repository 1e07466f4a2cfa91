import type { EventType } from "../domain/event.ts";
import type { NotificationRecord, SinkFormat } from "../domain/notification.ts";
import type { Notification } from "./sink-plugin.ts";
import { describe } from "./text.ts";

/** The notification a sink gets for one attempt of an outbox row. */
export function notificationOf(row: NotificationRecord): Notification {
  const type = row.type as EventType;
  return {
    id: row.eventId,
    type,
    timestamp: new Date(row.timestamp).toISOString(),
    source: row.source,
    data: row.data,
    sink: row.sink,
    attempt: row.attempts,
    text: describe(type, row.data),
  };
}

/**
 * The body a webhook gets: the notification itself, or the shape an incoming webhook of Slack
 * (`text`) or Discord (`content`, at most 2,000 characters) accepts.
 */
export function bodyOf(n: Notification, format: SinkFormat): string {
  if (format === "slack") return JSON.stringify({ text: n.text });
  if (format === "discord") return JSON.stringify({ content: n.text.slice(0, 2000) });
  return JSON.stringify(n);
}
