import type { SinkConfig } from "../domain/notification.ts";
import {
  DeletedSinkSchema,
  NotificationListSchema,
  RetriedSchema,
  SinkListSchema,
  SinkSchema,
} from "../domain/notification-wire.ts";
import type { DashClient } from "./client.ts";

/** The notification routes (admin), typed like the rest of the client. */
export const notificationsClient = (c: DashClient) => ({
  list: (query: { status?: string; sink?: string; limit?: number } = {}) =>
    c.request("GET", "/api/notifications", NotificationListSchema, { query }),
  retry: (which: { ids: number[] } | { dead: true }) =>
    c.request("POST", "/api/notifications/retry", RetriedSchema, { body: which }),
  sinks: () => c.request("GET", "/api/notifications/sinks", SinkListSchema),
  addSink: (name: string, sink: Partial<SinkConfig>) =>
    c.request("POST", "/api/notifications/sinks", SinkSchema, { body: { name, ...sink } }),
  removeSink: (name: string) =>
    c.request("DELETE", `/api/notifications/sinks/${encodeURIComponent(name)}`, DeletedSinkSchema),
});
