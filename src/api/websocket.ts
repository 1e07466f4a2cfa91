import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { z } from "zod";
import { API_KEY_PATTERN, type ApiKeyRecord } from "../domain/api-key.ts";
import { DashError } from "../domain/errors.ts";
import { EVENT_TYPES, EventFilterEntrySchema, typesMatching } from "../domain/event.ts";
import { authenticate, authenticateKey } from "../safety/api-keys.ts";
import type { ApiDeps } from "./route.ts";
import { frame, pumpReplay, type ReplayData, ReplayGate } from "./websocket-replay.ts";
import { SocketWatch, type WatchedData, type WatchOptions, WS_CLOSE } from "./websocket-watch.ts";

export const FilterSchema = z
  .array(EventFilterEntrySchema)
  .min(1)
  .max(EVENT_TYPES.length + 10);
const SinceSchema = z.union([z.ulid(), z.iso.datetime({ offset: true })]);
const ClientMessageSchema = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("subscribe"), filter: FilterSchema }),
  z.strictObject({ op: z.literal("ping") }),
]);

export interface SocketData extends ReplayData, WatchedData {
  key: ApiKeyRecord | null;
  refusal: { code: number; reason: string } | null;
}

const topic = (type: string) => `events:${type}`;
const control = (body: Record<string, unknown>) => JSON.stringify(body);

/** The API key from `?token=`, `Authorization: Bearer`, or one of the Sec-WebSocket-Protocol values. */
function tokenOf(
  request: Request,
  url: URL,
): { token: string | null; authorization?: string; protocol?: string } {
  const query = url.searchParams.get("token");
  if (query) return { token: query };
  const header = request.headers.get("authorization");
  if (header) return { token: null, authorization: header };
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
  const { token, authorization, protocol } = tokenOf(request, url);
  const data: SocketData = { key: null, refusal: null, filter: ["*"], replaying: false, alive: true };
  try {
    data.key = authorization
      ? await authenticate(deps.store, authorization, "read")
      : await authenticateKey(deps.store, token, "read");
    const filter = url.searchParams.get("filter");
    if (filter) data.filter = FilterSchema.parse(filter.split(",").map((f) => f.trim()));
    const since = url.searchParams.get("since");
    if (since) {
      const parsed = SinceSchema.parse(since);
      if (z.ulid().safeParse(parsed).success) data.cursor = parsed;
      else data.sinceTime = Date.parse(parsed);
      data.replaying = true;
    }
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

/** Where live begins: a client resumes after this id (or later) and misses nothing in between. */
function goLive(ws: ServerWebSocket<SocketData>, gate: ReplayGate<SocketData>): void {
  subscribe(ws, ws.data.filter);
  ws.send(control({ op: "ready", lastEventId: gate.last }));
}

export function eventsWebSocket(
  deps: ApiDeps,
  options: WatchOptions,
): { handler: WebSocketHandler<SocketData>; watch: SocketWatch<SocketData>; gate: ReplayGate<SocketData> } {
  const watch = new SocketWatch<SocketData>(options, deps.metrics.sockets);
  const gate = new ReplayGate<SocketData>();
  // Where live begins until the first event is published (published ones are newer).
  void deps.store.lastEventId().then((id) => {
    gate.last ??= id;
  });
  const replay = (ws: ServerWebSocket<SocketData>) =>
    pumpReplay(ws, deps, options.maxBufferBytes, gate, (live) => goLive(live, gate));
  const handler: WebSocketHandler<SocketData> = {
    // The heartbeat is SocketWatch's; Bun's own idle timer would also cut quiet, healthy readers.
    idleTimeout: 0,
    sendPings: false,
    // The hard stop behind SocketWatch.closeSlow: Bun cuts a socket whose backlog reaches twice the
    // bound rather than drop a message and keep it open (which would be a silent gap).
    backpressureLimit: options.maxBufferBytes * 2,
    closeOnBackpressureLimit: true,
    open(ws) {
      if (ws.data.refusal) return ws.close(ws.data.refusal.code, ws.data.refusal.reason);
      watch.add(ws);
      if (ws.data.replaying) replay(ws);
      else goLive(ws, gate);
    },
    drain(ws) {
      if (ws.data.replaying) replay(ws);
    },
    pong(ws) {
      ws.data.alive = true;
    },
    close(ws) {
      watch.remove(ws);
      gate.release(ws);
    },
    message(ws, raw) {
      ws.data.alive = true;
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
      // While replaying, the new filter applies to the pages still to come and to the live switch.
      if (ws.data.replaying) ws.data.filter = message.filter;
      else subscribe(ws, message.filter);
      ws.send(control({ op: "subscribed", filter: message.filter }));
    },
  };
  return { handler, watch, gate };
}

/** Each committed event goes out in one publish, whatever the number of listeners. */
export function publishEvents(
  server: Server<SocketData>,
  deps: ApiDeps,
  events: { watch: SocketWatch<SocketData>; gate: ReplayGate<SocketData> },
): () => void {
  const { watch, gate } = events;
  return deps.lifecycle.bus.subscribe((event) => {
    gate.offer(event);
    // No socket on the topic (the usual case under API load): no frame to serialise.
    const name = topic(event.type);
    if (server.subscriberCount(name) > 0) server.publish(name, frame(event));
    watch.closeSlow();
  });
}
