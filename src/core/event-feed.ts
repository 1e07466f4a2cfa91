import type { EventBus } from "../bus/bus.ts";
import type { EventRecord } from "../domain/event.ts";
import type { Store } from "../storage/store.ts";

/** Events per read of the table. */
const PAGE = 500;

/**
 * The bus fed from the event table, in commit order, for a store several writers share
 * (PostgreSQL: this server's own pool and other nodes). Publishing each transaction's events when
 * its COMMIT returns would not do: two commits can return in the other order, and another node's
 * commits never return here at all. So a commit (this node's, or a LISTEN wake-up for another's)
 * only asks for a read of what follows the last event published; a poll is the backstop for a
 * wake-up lost on the way. Every event reaches the bus once, in the table's order (the store gives
 * events a commit-ordered sequence: see postgres-db.ts insertEvents).
 */
export class TableFeed {
  private last: string | null = null;
  private pulling: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly onError: (error: unknown) => void,
    private readonly pollMs = 1000,
  ) {}

  /** Starts after the newest event committed so far: the events before it are history, not news. */
  async start(): Promise<void> {
    this.last = await this.store.lastEventId();
    this.unlisten = (await this.store.onCommit?.(() => void this.pull())) ?? null;
    this.timer = setInterval(() => void this.pull(), this.pollMs);
    this.timer.unref?.();
  }

  /** A transaction of this node committed these events: resolves once they (and any before) are published. */
  async committed(events: EventRecord[]): Promise<void> {
    if (events.length > 0) await this.pull();
  }

  /** Publishes what the table holds after the last event published; one read at a time. */
  pull(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.pulling) {
      this.again = true;
      return this.pulling;
    }
    this.pulling = (async () => {
      do {
        this.again = false;
        await this.drain();
      } while (this.again && !this.stopped);
    })()
      .catch(this.onError)
      .finally(() => {
        this.pulling = null;
      });
    return this.pulling;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const page = await this.store.listEvents({ afterId: this.last ?? undefined, limit: PAGE });
      if (page.length === 0 || this.stopped) return;
      this.last = page.at(-1)?.id ?? this.last;
      this.bus.publish(page);
      if (page.length < PAGE) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.unlisten?.().catch(() => {});
    await this.pulling;
  }
}
