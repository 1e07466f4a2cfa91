import { z } from "zod";
import { type DashEvent, EventSchema } from "../domain/event.ts";
import type { Connection } from "./connection.ts";

/** Close codes after which reconnecting cannot help (see api/websocket.ts). */
const FATAL_CLOSES = new Set([4400, 4401, 4403]);

const ControlSchema = z.object({ op: z.string(), lastEventId: z.ulid().nullable().optional() });
/** The smallest ULID: "after it" means from the very first event. */
const FIRST = "00000000000000000000000000";

export interface EventStreamOptions {
  connection: Connection;
  filter?: string[];
  /** Start after this event id or at this ISO time; omitted = only new events. */
  since?: string;
  onEvent: (event: DashEvent) => void;
  /** Connection changes, for a status line; `fatal` means the stream stopped for good. */
  onStatus?: (status: {
    state: "open" | "reconnecting" | "fatal";
    code?: number;
    reason?: string;
    delayMs?: number;
  }) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

/**
 * A live event stream that survives drops: it reconnects with exponential backoff (1 s doubling to
 * 30 s, with jitter so many clients do not return at once) and resumes after the last event id it
 * delivered, so every event arrives exactly once, in commit order.
 */
export class EventStream {
  lastId: string | undefined;
  private socket: WebSocket | null = null;
  private attempts = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: EventStreamOptions) {}

  start(): this {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000, "client stopped");
  }

  /** Drops the current connection as a network failure would (tests and `--reconnect` use it). */
  drop(): void {
    this.socket?.close(4000, "dropped by client");
  }

  private url(): string {
    const url = new URL("events", `${this.options.connection.url.replace(/^http/, "ws")}/`);
    if (this.options.filter?.length) url.searchParams.set("filter", this.options.filter.join(","));
    const since = this.lastId ?? this.options.since;
    if (since) url.searchParams.set("since", since);
    return url.href;
  }

  private connect(): void {
    const key = this.options.connection.key;
    // The key travels as a subprotocol, so it stays out of URLs and access logs.
    const socket = new WebSocket(this.url(), key ? ["dash.v1", key] : []);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempts = 0;
      this.options.onStatus?.({ state: "open" });
    });
    socket.addEventListener("message", (message) => this.receive(String(message.data)));
    socket.addEventListener("close", (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (FATAL_CLOSES.has(close.code)) {
        this.stopped = true;
        this.options.onStatus?.({ state: "fatal", code: close.code, reason: close.reason });
        return;
      }
      this.reconnectLater(close.code, close.reason);
    });
  }

  private receive(text: string): void {
    const body: unknown = JSON.parse(text);
    const control = ControlSchema.safeParse(body);
    if (control.success) {
      // "ready": live starts after lastEventId; everything up to it was replayed or filtered out.
      if (control.data.op === "ready") {
        const ready = control.data.lastEventId ?? FIRST;
        if (this.lastId === undefined || ready > this.lastId) this.lastId = ready;
      }
      return;
    }
    const event = EventSchema.parse(body);
    // After a reconnect the replay starts right after lastId; this guard keeps "exactly once" even so.
    if (this.lastId !== undefined && event.id <= this.lastId) return;
    this.lastId = event.id;
    this.options.onEvent(event);
  }

  private reconnectLater(code: number, reason: string): void {
    const min = this.options.minDelayMs ?? 1000;
    const max = this.options.maxDelayMs ?? 30_000;
    const base = Math.min(max, min * 2 ** this.attempts);
    const delayMs = Math.round(base * (0.5 + (this.options.random ?? Math.random)() / 2));
    this.attempts++;
    this.options.onStatus?.({ state: "reconnecting", code, reason, delayMs });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delayMs);
  }
}
