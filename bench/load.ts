/**
 * A small closed-loop HTTP load generator: `workers` concurrent loops, each sending one request,
 * waiting for the whole response, then sending the next, on fetch's pooled keep-alive connections.
 * Latencies therefore include queueing inside the server at that concurrency, which is what a
 * busy server's clients see.
 */
import { type Summary, summarize } from "./stats.ts";

export interface LoadOptions {
  name: string;
  url: string;
  init?: RequestInit;
  /** Concurrent requests in flight. */
  workers: number;
  /** Stop after this many measured requests… */
  maxRequests: number;
  /** …or after this long, whichever comes first, so the whole bench stays bounded. */
  durationMs: number;
  /** Requests sent before measuring (not recorded): JIT, connection pool and SQLite caches warm up. */
  warmup?: number;
}

export interface LoadResult extends Summary {
  /** Responses that were not 2xx, by status; fetch failures count under status 0. */
  failures: Map<number, number>;
  failed: number;
  /** Bytes of response body per request (the last one), to show how big a page was. */
  bodyBytes: number;
}

/** Sends one request and reads its whole body: an unread body would keep the connection busy. */
async function send(url: string, init: RequestInit | undefined): Promise<{ status: number; bytes: number }> {
  try {
    const response = await fetch(url, init);
    const body = await response.arrayBuffer();
    return { status: response.status, bytes: body.byteLength };
  } catch {
    return { status: 0, bytes: 0 };
  }
}

async function pool(workers: number, next: () => boolean, one: () => Promise<void>): Promise<void> {
  const loop = async () => {
    while (next()) await one();
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { url, init, workers } = options;
  let warm = options.warmup ?? 0;
  await pool(
    workers,
    () => warm-- > 0,
    async () => void (await send(url, init)),
  );

  // Preallocated so recording a latency never allocates while the clock runs.
  const latencies = new Float64Array(options.maxRequests);
  const failures = new Map<number, number>();
  let issued = 0;
  let done = 0;
  let bodyBytes = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  await pool(
    workers,
    () => {
      if (issued >= options.maxRequests || performance.now() >= deadline) return false;
      issued++;
      return true;
    },
    async () => {
      const t0 = performance.now();
      const { status, bytes } = await send(url, init);
      latencies[done++] = performance.now() - t0;
      bodyBytes = bytes;
      if (status < 200 || status > 299) failures.set(status, (failures.get(status) ?? 0) + 1);
    },
  );
  const elapsed = performance.now() - started;
  return {
    ...summarize(options.name, latencies.subarray(0, done), elapsed),
    failures,
    failed: [...failures.values()].reduce((a, b) => a + b, 0),
    bodyBytes,
  };
}
