import { z } from "zod";
import { DashError, notFound } from "../../domain/errors.ts";
import {
  type NotificationRecord,
  NotificationStatusSchema,
  ONE_TARGET,
  oneTarget,
  SinkFieldsSchema,
  SinkNameSchema,
} from "../../domain/notification.ts";
import {
  DeletedSinkSchema,
  NotificationListSchema,
  type NotificationSchema,
  RetriedSchema,
  SinkListSchema,
  SinkSchema,
} from "../../domain/notification-wire.ts";
import { sinkRecord, sinkResponse } from "../../notify/sinks.ts";
import { defineRoute } from "../route.ts";

const iso = (ms: number) => new Date(ms).toISOString();

function toResponse(n: NotificationRecord): z.infer<typeof NotificationSchema> {
  return {
    id: n.id,
    eventId: n.eventId,
    sink: n.sink,
    type: n.type,
    status: n.status,
    attempts: n.attempts,
    createdAt: iso(n.timestamp),
    nextAt: n.status === "pending" ? iso(n.nextAt) : null,
    deliveredAt: n.deliveredAt === null ? null : iso(n.deliveredAt),
    lastError: n.lastError,
    data: n.data,
  };
}

const ListQuery = z.strictObject({
  status: NotificationStatusSchema.optional(),
  sink: SinkNameSchema.optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const RetryBody = z
  .strictObject({
    ids: z.array(z.number().int().positive()).min(1).max(1000).optional(),
    dead: z.literal(true).optional(),
  })
  .refine((b) => (b.ids === undefined) !== (b.dead === undefined), {
    message: "give ids, or dead: true (every dead one)",
  });

const PutSinkBody = SinkFieldsSchema.extend({ name: SinkNameSchema }).refine(oneTarget, ONE_TARGET);

export const notificationRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/notifications",
    permission: "admin",
    summary: "List notifications (the outbox), newest first, with counts by status",
    query: ListQuery,
    response: NotificationListSchema,
    async handler({ query, deps }) {
      const { notifications } = deps.store;
      const list = await notifications.listNotifications({ ...query, beforeId: query.before });
      return { notifications: list.map(toResponse), counts: await notifications.notificationCounts() };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/notifications/retry",
    permission: "admin",
    summary: "Deliver dead-lettered notifications again (these ids, or every dead one)",
    body: RetryBody,
    response: RetriedSchema,
    async handler({ body, deps }) {
      const retried = await deps.store.notifications.retryNotifications(body.ids ?? "dead", Date.now());
      deps.notifier?.wake();
      return { retried };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/notifications/sinks",
    permission: "admin",
    summary: "List notification sinks (secrets are never shown)",
    response: SinkListSchema,
    async handler({ deps }) {
      return { sinks: (await deps.store.notifications.listSinks()).map(sinkResponse) };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/notifications/sinks",
    permission: "admin",
    summary: "Add (or replace) a notification sink",
    body: PutSinkBody,
    response: SinkSchema,
    status: 201,
    async handler({ body, deps }) {
      const { name, ...config } = body;
      const existing = (await deps.store.notifications.listSinks()).find((s) => s.name === name);
      if (existing?.origin === "config")
        throw new DashError("CONFLICT", `sink "${name}" is declared in config.yaml: change it there`, {
          name,
        });
      if (config.plugin)
        throw new DashError("VALIDATION_ERROR", "plugin sinks are declared in config.yaml (notify.sinks)", {
          field: "plugin",
        });
      const record = sinkRecord(name, config, "api", Date.now());
      await deps.store.notifications.putSink(record);
      await deps.notifier?.refresh();
      return sinkResponse(record);
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/api/notifications/sinks/:name",
    permission: "admin",
    summary: "Remove a notification sink (its undelivered notifications are dead-lettered)",
    response: DeletedSinkSchema,
    async handler({ params, deps }) {
      const name = params.name as string;
      const existing = (await deps.store.notifications.listSinks()).find((s) => s.name === name);
      if (!existing) throw notFound("sink", name);
      if (existing.origin === "config")
        throw new DashError("CONFLICT", `sink "${name}" is declared in config.yaml: remove it there`, {
          name,
        });
      await deps.store.notifications.deleteSink(name);
      await deps.notifier?.refresh();
      return { deleted: name };
    },
  }),
];
