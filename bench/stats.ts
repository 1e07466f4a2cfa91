/** Shared helpers for benchmarks: they print figures and assert nothing about time. */
import { SUMMARIES } from "./record.ts";

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

export interface Summary {
  name: string;
  count: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Figures of a set of latencies (ms) taken over `elapsedMs`. */
export function summarize(name: string, latencies: ArrayLike<number>, elapsedMs: number): Summary {
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    name,
    count: sorted.length,
    perSecond: sorted.length / (elapsedMs / 1000),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Times `op` `count` times in sequence; latencies in milliseconds. */
export async function measure(name: string, count: number, op: (i: number) => unknown): Promise<Summary> {
  const latencies = new Float64Array(count);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await op(i);
    latencies[i] = performance.now() - t0;
  }
  return summarize(name, latencies, performance.now() - started);
}

/** `extra` adds columns after the figures (a target, an error count) for the benches that have them. */
export function printSummaries<T extends Summary>(
  title: string,
  rows: T[],
  extra?: (row: T) => Record<string, string | number>,
): void {
  const ms = (v: number) => `${v.toFixed(3)} ms`;
  for (const r of rows) SUMMARIES.set(r.name, r);
  console.log(`\n${title}`);
  console.table(
    rows.map((r) => ({
      benchmark: r.name,
      ops: r.count,
      "ops/s": Math.round(r.perSecond),
      p50: ms(r.p50),
      p95: ms(r.p95),
      p99: ms(r.p99),
      max: ms(r.max),
      ...extra?.(r),
    })),
  );
}

export function rssMiB(): string {
  return `${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MiB`;
}
