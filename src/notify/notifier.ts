import type { EventBus } from "../bus/bus.ts";
import type { NotificationRecord, NotifyConfig, SinkRecord } from "../domain/notification.ts";
import type { Logger } from "../log.ts";
import type { Store } from "../storage/store.ts";
import { notificationOf } from "./payload.ts";
import type { SinkPlugin } from "./sink-plugin.ts";
import { checkPlugin, sinkRecord } from "./sinks.ts";
import { postWebhook } from "./webhook.ts";

export interface NotifierOptions extends Omit<NotifyConfig, "sinks"> {
  /** Deliveries in flight at once (a slow receiver holds at most these). */
  concurrency?: number;
  now?: () => number;
  random?: () => number;
}

/** Exponential backoff with jitter: attempt n waits base·2^(n-1), capped, times 0.5…1. */
export function backoffMs(attempt: number, base: number, max: number, random: () => number): number {
  const full = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(full * (0.5 + random() / 2));
}

/**
 * Delivers the outbox (notification-store.ts): woken by every committed event and by a poll for
 * retries that come due. Each row is claimed with a lease (so a node that dies mid-delivery leaves
 * it for the next claim), handed to its sink, and settled: delivered, retried later, or dead once
 * `retryForMs` has passed. Delivery happens off the request path, so a slow receiver slows nothing.
 */
export class Notifier {
  private sinks = new Map<string, SinkRecord>();
  /** Event types some sink wants: other events do not wake the outbox (no claim, no write). */
  private wanted: RegExp | null = null;
  private readonly inFlight = new Map<number, { done: Promise<void>; abort: AbortController }>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly now: () => number;
  private readonly concurrency: number;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly options: NotifierOptions,
    private readonly plugins: ReadonlyMap<string, SinkPlugin>,
    private readonly log: Logger,
  ) {
    this.now = options.now ?? Date.now;
    this.concurrency = options.concurrency ?? 8;
  }

  /** Makes config.yaml's sinks the store's config sinks (refusing unknown plugins), then delivers. */
  async start(configSinks: NotifyConfig["sinks"]): Promise<void> {
    for (const [name, sink] of Object.entries(configSinks)) checkPlugin(name, sink, this.plugins);
    const records = Object.entries(configSinks).map(([name, s]) => sinkRecord(name, s, "config", this.now()));
    await this.store.notifications.syncSinks("config", records);
    await this.refresh();
    this.unsubscribe = this.bus.subscribe((event) => {
      if (this.wanted?.test(event.type)) this.wake();
    });
    this.timer = setInterval(() => void this.refresh().then(() => this.wake()), this.options.pollMs);
    this.wake();
  }

  /** Re-reads the sinks (after the API changed them, or another node did). */
  async refresh(): Promise<void> {
    const list = await this.store.notifications.listSinks().catch((error) => {
      this.log.warn("reading notification sinks failed", { error: String(error) });
      return [...this.sinks.values()];
    });
    this.sinks = new Map(list.map((s) => [s.name, s]));
    const patterns = list.flatMap((s) => s.events).map((p) => p.replaceAll(".", "\\.").replaceAll("*", ".*"));
    this.wanted = patterns.length ? new RegExp(`^(${patterns.join("|")})$`) : null;
  }

  /** Claims and starts what is due; calls made while a pump runs make it go round once more. */
  wake(): void {
    if (this.stopped || this.sinks.size === 0) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((error) => this.log.warn("claiming notifications failed", { error: String(error) }))
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    const room = this.concurrency - this.inFlight.size;
    if (room <= 0) return;
    const now = this.now();
    const lease = now + this.options.timeoutMs + 1000;
    for (const row of await this.store.notifications.claimNotifications(now, lease, room)) this.begin(row);
  }

  private begin(row: NotificationRecord): void {
    const abort = new AbortController();
    const done = this.deliver(row, abort.signal)
      .catch((error) => this.log.warn("settling a notification failed", { id: row.id, error: String(error) }))
      .finally(() => {
        this.inFlight.delete(row.id);
        this.wake();
      });
    this.inFlight.set(row.id, { done, abort });
  }

  private async deliver(row: NotificationRecord, stop: AbortSignal): Promise<void> {
    const sink = this.sinks.get(row.sink);
    const { notifications } = this.store;
    if (!sink)
      return notifications.settleNotification(row.id, row.attempts, {
        status: "dead",
        error: `sink "${row.sink}" was removed`,
      });
    const notification = notificationOf(row);
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.options.timeoutMs)]);
    try {
      const plugin = sink.plugin ? this.plugins.get(sink.plugin) : null;
      if (sink.plugin && !plugin) throw new Error(`sink plugin "${sink.plugin}" is not loaded on this node`);
      await (plugin ? plugin.deliver(notification, { signal }) : postWebhook(sink, notification, { signal }));
      await notifications.settleNotification(row.id, row.attempts, { status: "delivered", at: this.now() });
    } catch (error) {
      const now = this.now();
      const text = stop.aborted ? "the server stopped mid-delivery" : errorText(error, signal);
      const delay = stop.aborted
        ? 0
        : backoffMs(
            row.attempts,
            this.options.backoffMs,
            this.options.maxBackoffMs,
            this.options.random ?? Math.random,
          );
      const outcome =
        now + delay - row.retryFrom > this.options.retryForMs
          ? ({ status: "dead", error: text } as const)
          : ({ status: "pending", nextAt: now + delay, error: text } as const);
      if (outcome.status === "dead")
        this.log.warn("notification dead-lettered", { id: row.id, sink: row.sink, error: text });
      await notifications.settleNotification(row.id, row.attempts, outcome);
    }
  }

  /** Stops claiming; deliveries in flight are aborted and left due at once for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.pumping;
    for (const { abort } of this.inFlight.values()) abort.abort();
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
  }
}

function errorText(error: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === "TimeoutError")
    return "timed out";
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
