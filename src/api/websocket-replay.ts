import type { ServerWebSocket } from "bun";
import { EVENT_TYPES, type EventRecord, toEventResponse, typesMatching } from "../domain/event.ts";
import type { ApiDeps } from "./route.ts";

/** Events per read: small enough to stop soon after the buffer fills, large enough to be cheap. */
const PAGE = 500;

export interface ReplayData {
  filter: string[];
  /** Replay events after this id… */
  cursor?: string;
  /** …or, before the first page of an ISO `since`, from this time (ms). */
  sinceTime?: number;
  replaying: boolean;
}

export const frame = (event: EventRecord) => JSON.stringify(toEventResponse(event));

/**
 * Replays history in pages paced by the socket's send buffer (the `drain` handler calls this again),
 * so a long history never piles up in server memory. The last page, `goLive` (subscribe + ready)
 * and the check between them run in one synchronous step, and events are published on this same
 * thread after their COMMIT, so none can fall in between: the switch has no gap and no duplicate.
 */
export function pumpReplay<T extends ReplayData>(
  ws: ServerWebSocket<T>,
  deps: ApiDeps,
  maxBufferBytes: number,
  goLive: (ws: ServerWebSocket<T>) => void,
): void {
  const data = ws.data;
  while (data.replaying && ws.readyState === 1) {
    const types = typesMatching(data.filter);
    const events = deps.store.readEvents({
      afterId: data.cursor,
      since: data.cursor === undefined ? data.sinceTime : undefined,
      types: types.length === EVENT_TYPES.length ? undefined : types,
      limit: PAGE,
    });
    for (const event of events) {
      ws.send(frame(event));
      data.cursor = event.id;
      // Half the bound: the rest is headroom for the live events that follow the switch.
      if (ws.getBufferedAmount() > maxBufferBytes / 2) return;
    }
    if (events.length < PAGE) {
      data.replaying = false;
      goLive(ws);
      return;
    }
  }
}
