import type { ServerWebSocket } from "bun";
import { EVENT_TYPES, type EventRecord, toEventResponse, typesMatching } from "../domain/event.ts";
import type { ApiDeps } from "./route.ts";

/** Events per read: small enough to stop soon after the buffer fills, large enough to be cheap. */
const PAGE = 500;
/** Live events held for one socket catching up; past this it reads them from the table instead. */
const MAX_HELD = 10_000;
/** How long a socket that read past what this node has published waits for it (see ReplayGate). */
const CATCH_UP_MS = 1000;

export interface ReplayData {
  filter: string[];
  /** Replay events after this id… */
  cursor?: string;
  /** …or, before the first page of an ISO `since`, from this time (ms). */
  sinceTime?: number;
  replaying: boolean;
  /** A read is in flight: a `drain` meanwhile must not start a second one. */
  reading?: boolean;
  /** Live events published since this socket's current read began (null: not holding). */
  held?: EventRecord[] | null;
}

export const frame = (event: EventRecord) => JSON.stringify(toEventResponse(event));

/**
 * The sockets catching up on history, and what is published meanwhile. Reads are async (a
 * PostgreSQL store yields), so a socket holds the live events from before each read until it has
 * sent the read's page: whatever commits after a read began is held, whatever before is in the
 * read, and the switch to live (held events, subscribe, `ready`) is one synchronous step on the
 * thread that publishes. No gap, and duplicates are dropped by id.
 */
export class ReplayGate<T extends ReplayData> {
  private readonly holding = new Set<ServerWebSocket<T>>();
  /** Sockets whose read went past the node's bus, each waiting for that event to be published. */
  private readonly waiting = new Map<
    ServerWebSocket<T>,
    { until: string; done: () => void; timer: ReturnType<typeof setTimeout> }
  >();
  /** The newest event published (or, at start, committed): where a live stream begins. */
  last: string | null = null;

  /**
   * Whether a read returned events this node has not published yet (a store with several writers
   * publishes from the table, a moment after COMMIT): going live now would send them twice.
   */
  behind(cursor: string | undefined): boolean {
    return cursor !== undefined && (this.last === null || cursor > this.last);
  }

  isWaiting(ws: ServerWebSocket<T>): boolean {
    return this.waiting.has(ws);
  }

  /** Runs `done` once the event `until` is published here (or after CATCH_UP_MS: none is lost). */
  waitFor(ws: ServerWebSocket<T>, until: string, done: () => void): void {
    const timer = setTimeout(() => this.settle(ws), CATCH_UP_MS);
    this.waiting.set(ws, { until, done, timer });
  }

  private settle(ws: ServerWebSocket<T>): void {
    const wait = this.waiting.get(ws);
    if (!wait) return;
    this.waiting.delete(ws);
    clearTimeout(wait.timer);
    wait.done();
  }

  hold(ws: ServerWebSocket<T>): void {
    ws.data.held = [];
    this.holding.add(ws);
  }

  release(ws: ServerWebSocket<T>): void {
    ws.data.held = null;
    this.holding.delete(ws);
    const wait = this.waiting.get(ws);
    if (wait) clearTimeout(wait.timer);
    this.waiting.delete(ws);
  }

  /** Each committed event, in commit order, before it is published to live sockets. */
  offer(event: EventRecord): void {
    this.last = event.id;
    for (const ws of this.holding) {
      const held = ws.data.held;
      if (!held) continue;
      // Too far behind: drop what is held, the next read finds it in the table.
      if (held.length >= MAX_HELD) ws.data.held = null;
      else held.push(event);
    }
    // After this publish (and the rest of its page): the awaited event then reached the topic too.
    for (const [ws, wait] of this.waiting) {
      if (event.id >= wait.until) queueMicrotask(() => this.settle(ws));
    }
  }
}

/**
 * Replays history in pages paced by the socket's send buffer (the `drain` handler calls this
 * again), so a long history never piles up in server memory; when a read comes back short, the
 * socket goes live through the gate (see ReplayGate).
 */
export function pumpReplay<T extends ReplayData>(
  ws: ServerWebSocket<T>,
  deps: ApiDeps,
  maxBufferBytes: number,
  gate: ReplayGate<T>,
  goLive: (ws: ServerWebSocket<T>) => void,
): void {
  const data = ws.data;
  if (data.reading || !data.replaying || gate.isWaiting(ws)) return;
  data.reading = true;
  replayPages(ws, deps, maxBufferBytes, gate, goLive)
    .catch(() => ws.close(1011, "the event history could not be read"))
    .finally(() => {
      data.reading = false;
    });
}

async function replayPages<T extends ReplayData>(
  ws: ServerWebSocket<T>,
  deps: ApiDeps,
  maxBufferBytes: number,
  gate: ReplayGate<T>,
  goLive: (ws: ServerWebSocket<T>) => void,
): Promise<void> {
  const data = ws.data;
  while (data.replaying && ws.readyState === 1) {
    if (!data.held) gate.hold(ws);
    const types = typesMatching(data.filter);
    const events = await deps.store.listEvents({
      afterId: data.cursor,
      since: data.cursor === undefined ? data.sinceTime : undefined,
      types: types.length === EVENT_TYPES.length ? undefined : types,
      limit: PAGE,
    });
    if (ws.readyState !== 1) break;
    for (const event of events) {
      ws.send(frame(event));
      data.cursor = event.id;
      // Half the bound: the rest is headroom for the live events that follow the switch. Paused
      // until `drain`, it holds nothing meanwhile (that could grow without bound).
      if (ws.getBufferedAmount() > maxBufferBytes / 2) return gate.release(ws);
    }
    if (events.length === PAGE) continue;
    // Held events were dropped during the read (too many): read again from where it got to.
    if (!data.held) continue;
    const finish = () => {
      if (ws.readyState !== 1) return gate.release(ws);
      // Too many held while it waited: read on from the table instead.
      if (!data.held) return pumpReplay(ws, deps, maxBufferBytes, gate, goLive);
      sendHeld(ws);
      gate.release(ws);
      data.replaying = false;
      goLive(ws);
    };
    if (gate.behind(data.cursor)) return gate.waitFor(ws, data.cursor as string, finish);
    return finish();
  }
  gate.release(ws);
}

/** The held events the reads did not return (newer than the cursor, of the socket's filter). */
function sendHeld<T extends ReplayData>(ws: ServerWebSocket<T>): void {
  const data = ws.data;
  const wanted = new Set<string>(typesMatching(data.filter));
  for (const event of data.held ?? []) {
    if (data.cursor !== undefined && event.id <= data.cursor) continue;
    if (data.cursor === undefined && data.sinceTime !== undefined && event.timestamp < data.sinceTime)
      continue;
    if (!wanted.has(event.type)) continue;
    ws.send(frame(event));
    data.cursor = event.id;
  }
}
