import type { Store } from "../storage/store.ts";

export interface RetentionPolicy {
  /** Delete events older than this many days; 0 keeps them regardless of age. */
  retentionDays: number;
  /** Keep at most this many newest events. */
  retentionMaxRows: number;
}

const DAY_MS = 86_400_000;

/**
 * Deletes old events in small batches, each its own short transaction, yielding to the event loop
 * between batches so writers never wait behind one long delete (DESIGN.md §6: a retention job
 * instead of per-day tables).
 */
export async function pruneEvents(
  store: Store,
  policy: RetentionPolicy,
  options: { now?: number; batchSize?: number } = {},
): Promise<number> {
  const now = options.now ?? Date.now();
  const before = policy.retentionDays > 0 ? now - policy.retentionDays * DAY_MS : Number.NEGATIVE_INFINITY;
  const batchSize = options.batchSize ?? 1000;
  let total = 0;
  for (;;) {
    const deleted = await store.pruneEvents({ before, keepRows: policy.retentionMaxRows, batchSize });
    total += deleted;
    if (deleted < batchSize) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Runs pruneEvents now and then every `intervalMs`; the timer does not keep the process alive. */
export function startRetention(
  store: Store,
  policy: RetentionPolicy,
  onError: (error: unknown) => void,
  intervalMs = 60_000,
): { stop: () => void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await pruneEvents(store, policy);
    } catch (error) {
      onError(error);
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
