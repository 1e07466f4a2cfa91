import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { z } from "zod";
import { API_KEY_PATTERN, type ApiKeyRecord } from "../domain/api-key.ts";
import { DashError } from "../domain/errors.ts";
import {
  EVENT_TYPES,
  EventFilterEntrySchema,
  type EventRecord,
  toEventResponse,
  typesMatching,
} from "../domain/event.ts";
import { authenticate } from "../safety/api-keys.ts";
import type { ApiDeps } from "./route.ts";

/** Close codes of `/events` (4000-4999 are the application's). */
export const WS_CLOSE = {
  badRequest: 4400,
  unauthorized: 4401,
} as const;

export const FilterSchema = z
  .array(EventFilterEntrySchema)
  .min(1)
  .max(EVENT_TYPES.length + 10);
const SinceSchema = z.union([z.ulid(), z.iso.datetime({ offset: true })]);
const ClientMessageSchema = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("subscribe"), filter: FilterSchema }),
  z.strictObject({ op: z.literal("ping") }),
]);

export interface SocketData {
  key: ApiKeyRecord | null;
  refusal: { code: number; reason: string } | null;
  filter: string[];
  since?: string;
}

const topic = (type: string) => `events:${type}`;
const frame = (event: EventRecord) => JSON.stringify(toEventResponse(event));
const control = (body: Record<string, unknown>) => JSON.stringify(body);

/** The API key from `?token=`, `Authorization: Bearer`, or one of the Sec-WebSocket-Protocol values. */
function tokenOf(request: Request, url: URL): { token: string | null; protocol?: string } {
  const query = url.searchParams.get("token");
  if (query) return { token: query };
  const header = request.headers.get("authorization");
  if (header) return { token: header };
  const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
  const key = offered.find((p) => API_KEY_PATTERN.test(p));
  return key ? { token: key, protocol: offered.includes("dash.v1") ? "dash.v1" : key } : { token: null };
}

/**
 * Authenticates and parses the upgrade, then upgrades even when refused, so the client gets a
 * close code and reason instead of a bare HTTP error its WebSocket API cannot read.
 */
export async function upgradeEvents(
  request: Request,
  server: Server<SocketData>,
  deps: ApiDeps,
): Promise<Response | undefined> {
  const url = new URL(request.url);
  const { token, protocol } = tokenOf(request, url);
  const data: SocketData = { key: null, refusal: null, filter: ["*"] };
  try {
    data.key = await authenticate(deps.store, token, "read");
    const filter = url.searchParams.get("filter");
    if (filter) data.filter = FilterSchema.parse(filter.split(",").map((f) => f.trim()));
    const since = url.searchParams.get("since");
    if (since) data.since = SinceSchema.parse(since);
  } catch (error) {
    const code =
      error instanceof DashError && error.code === "UNAUTHORIZED"
        ? WS_CLOSE.unauthorized
        : WS_CLOSE.badRequest;
    const reason =
      error instanceof z.ZodError
        ? `bad filter or since: ${error.issues[0]?.message}`
        : (error as Error).message;
    data.refusal = { code, reason: reason.slice(0, 120) };
  }
  const headers = protocol ? { "Sec-WebSocket-Protocol": protocol } : undefined;
  if (server.upgrade(request, { data, headers })) return undefined;
  return new DashError("VALIDATION_ERROR", "GET /events needs a WebSocket upgrade").getResponse();
}

function subscribe(ws: ServerWebSocket<SocketData>, filter: string[]): void {
  for (const type of EVENT_TYPES) ws.unsubscribe(topic(type));
  for (const type of typesMatching(filter)) ws.subscribe(topic(type));
  ws.data.filter = filter;
}

/**
 * Replay from the events table, then live. Everything from the read to the subscribe runs without
 * yielding, and events are published on this same thread after their COMMIT, so none can fall in
 * between: the switch has no gap and no duplicate.
 */
function replayThenLive(ws: ServerWebSocket<SocketData>, deps: ApiDeps): void {
  const { since, filter } = ws.data;
  if (since) {
    const isId = z.ulid().safeParse(since).success;
    const types = typesMatching(filter);
    const events = deps.store.readEvents({
      afterId: isId ? since : undefined,
      since: isId ? undefined : Date.parse(since),
      types: types.length === EVENT_TYPES.length ? undefined : types,
    });
    for (const event of events) ws.send(frame(event));
  }
  subscribe(ws, filter);
  // Where live begins: a client resumes after this id (or later) and misses nothing in between.
  ws.send(control({ op: "ready", lastEventId: deps.store.lastEventId() }));
}

export function eventsWebSocket(
  deps: ApiDeps,
  options: { heartbeatMs: number; maxBufferBytes: number },
): WebSocketHandler<SocketData> {
  return {
    // Bun pings every idle connection and closes one that has not answered within the timeout.
    idleTimeout: Math.max(1, Math.round((options.heartbeatMs * 2) / 1000)),
    sendPings: true,
    backpressureLimit: options.maxBufferBytes,
    closeOnBackpressureLimit: true,
    open(ws) {
      if (ws.data.refusal) return ws.close(ws.data.refusal.code, ws.data.refusal.reason);
      replayThenLive(ws, deps);
    },
    message(ws, raw) {
      let message: z.infer<typeof ClientMessageSchema>;
      try {
        message = ClientMessageSchema.parse(JSON.parse(String(raw)));
      } catch (error) {
        const detail = error instanceof z.ZodError ? (error.issues[0]?.message ?? "invalid") : "not JSON";
        ws.send(
          control({ op: "error", error: { code: "VALIDATION_ERROR", message: `Bad message: ${detail}` } }),
        );
        return;
      }
      if (message.op === "ping") return void ws.send(control({ op: "pong" }));
      subscribe(ws, message.filter);
      ws.send(control({ op: "subscribed", filter: message.filter }));
    },
  };
}

/** Each committed event goes out in one publish, whatever the number of listeners. */
export function publishEvents(server: Server<SocketData>, deps: ApiDeps): () => void {
  return deps.lifecycle.bus.subscribe((event) => {
    server.publish(topic(event.type), frame(event));
  });
}
