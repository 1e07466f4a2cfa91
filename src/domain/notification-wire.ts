import { z } from "zod";
import { NotificationStatusSchema, SinkFormatSchema } from "./notification.ts";

/** What /api/notifications answers (the client parses with these too). */
export const SinkSchema = z.object({
  name: z.string(),
  url: z.string().nullable(),
  plugin: z.string().nullable(),
  events: z.array(z.string()),
  swarmId: z.string().nullable(),
  format: SinkFormatSchema,
  signed: z.boolean(),
  origin: z.enum(["config", "api"]),
  createdAt: z.iso.datetime(),
});

export const NotificationSchema = z.object({
  id: z.number().int(),
  eventId: z.string(),
  sink: z.string(),
  type: z.string(),
  status: NotificationStatusSchema,
  attempts: z.number().int(),
  createdAt: z.iso.datetime(),
  nextAt: z.iso.datetime().nullable(),
  deliveredAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const NotificationListSchema = z.object({
  notifications: z.array(NotificationSchema),
  counts: z.record(NotificationStatusSchema, z.number().int()),
});
export const SinkListSchema = z.object({ sinks: z.array(SinkSchema) });
export const RetriedSchema = z.object({ retried: z.number().int() });
export const DeletedSinkSchema = z.object({ deleted: z.string() });
