import { z } from "zod";
import { EventTypeSchema, toEventResponse } from "../../domain/event.ts";
import { LIMITS } from "../../domain/limits.ts";
import { EventPageSchema } from "../../domain/wire.ts";
import { defineRoute } from "../route.ts";
import { CursorSchema, cutPage, LimitSchema } from "../schemas.ts";

/** `since` is an event id (replay after it, like the WebSocket) or an ISO time. */
const SinceSchema = z.union([z.ulid(), z.iso.datetime({ offset: true }).max(LIMITS.timestamp)]);
const TypesSchema = z
  .string()
  .max(LIMITS.typeList)
  .transform((s) =>
    s
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .pipe(z.array(EventTypeSchema).max(LIMITS.eventTypes));

const ListQuery = z.strictObject({
  since: SinceSchema.optional(),
  type: TypesSchema.optional(),
  limit: LimitSchema,
  cursor: CursorSchema.optional(),
});

export const eventRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/events",
    permission: "read",
    summary: "Events in commit order; `since` an event id or ISO time, `type` comma-separated",
    query: ListQuery,
    response: EventPageSchema,
    async handler({ query, deps }) {
      const sinceId = query.since && CursorSchema.safeParse(query.since).success ? query.since : undefined;
      const sinceTime = query.since && !sinceId ? Date.parse(query.since) : undefined;
      const afterId = [sinceId, query.cursor]
        .filter((v): v is string => !!v)
        .sort()
        .at(-1);
      const rows = await deps.store.listEvents({
        afterId,
        since: sinceTime,
        types: query.type,
        limit: query.limit + 1,
      });
      const { items, nextCursor } = cutPage(rows, query.limit);
      return { events: items.map(toEventResponse), nextCursor };
    },
  }),
];
