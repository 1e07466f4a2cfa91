import type { ServerWebSocket } from "bun";

/** Close codes of `/events` (4000-4999 are the application's). Documented in docs/events.md. */
export const WS_CLOSE = {
  badRequest: 4400,
  unauthorized: 4401,
  /** The client fell more than `maxBufferBytes` behind; it may reconnect with `since=<its last id>`. */
  tooSlow: 4429,
} as const;

/** What /metrics shows about the `/events` connections. */
export interface SocketStats {
  open: number;
  droppedDead: number;
  closedSlow: number;
}

export interface WatchedData {
  /** Answered (pong or any message) since the last ping. */
  alive: boolean;
  /** Still replaying history: its buffer is paced by the replay itself, not the backlog check. */
  replaying: boolean;
}

export interface WatchOptions {
  heartbeatMs: number;
  maxBufferBytes: number;
}

/**
 * Keeps every `/events` connection honest without slowing the others: a peer that has not answered
 * the previous ping when the next is due is dropped (so within two intervals), and a consumer whose
 * unsent backlog passes the bound is closed with 4429 and a reason. We run the heartbeat ourselves
 * rather than Bun's `idleTimeout`, whose timer has a 4-second granularity.
 */
export class SocketWatch<T extends WatchedData> {
  private readonly sockets = new Set<ServerWebSocket<T>>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly options: WatchOptions,
    readonly stats: SocketStats,
  ) {}

  add(ws: ServerWebSocket<T>): void {
    ws.data.alive = true;
    this.sockets.add(ws);
    this.stats.open = this.sockets.size;
    if (this.timer) return;
    this.timer = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
    this.timer.unref?.();
  }

  remove(ws: ServerWebSocket<T>): void {
    this.sockets.delete(ws);
    this.stats.open = this.sockets.size;
    if (this.sockets.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** On shutdown: 1001 tells clients to come back later (ours reconnect and resume). */
  closeAll(): void {
    for (const ws of this.sockets) {
      this.remove(ws);
      ws.close(1001, "server shutting down");
    }
  }

  heartbeat(): void {
    for (const ws of this.sockets) {
      if (!ws.data.alive) {
        this.stats.droppedDead++;
        this.remove(ws);
        ws.terminate();
        continue;
      }
      ws.data.alive = false;
      ws.ping();
    }
  }

  /**
   * After each publish: one native call per socket. The close frame queues behind the backlog, so a
   * client that reads again sees code and reason; one that never does is cut by the server shortly
   * after, which frees the backlog.
   */
  closeSlow(): void {
    const max = this.options.maxBufferBytes;
    for (const ws of this.sockets) {
      if (ws.data.replaying || ws.getBufferedAmount() <= max) continue;
      this.stats.closedSlow++;
      this.remove(ws);
      ws.close(WS_CLOSE.tooSlow, `too slow: over ${max} bytes unsent; reconnect with since=<your last id>`);
    }
  }
}
