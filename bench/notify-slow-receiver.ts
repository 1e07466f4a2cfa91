/**
 * A slow notification receiver does not slow the API: `POST /api/swarm` against the real
 * `dash serve` (its own process) twice, (a) with no sink and (b) with a sink for every event
 * (`events: ["*"]`) whose webhook, a loopback receiver here, answers each request only after 2 s.
 * Every event commits its outbox row in its own transaction (the trigger of
 * migrations/009_notifications.sql); the notifier delivers off the request path, so (b)'s figures
 * should be (a)'s while the outbox backs up. Each server gets the creates twice: a closed loop
 * (throughput; over before the first delivery is answered) and then paced at 50/s for 6 s (the
 * notifier claims and settles deliveries meanwhile). The outbox counts at the end of (b) show the
 * backlog.
 * Only loopback traffic, bounded in count and time. Nothing here asserts a time.
 */
import { type LoadResult, runLoad } from "./load.ts";
import { type BenchServer, withBenchServer } from "./serve.ts";
import { printSummaries, summarize } from "./stats.ts";

/** Agents are not started here (maxConcurrency 0): demo, which needs no CLI, is what they would run. */
const DEMO = { runtime: "demo" };

const REQUESTS = 300;
const WORKERS = 8;
const WARMUP = 30;
/** Closed loop, per run: 300 creates take well under a second, so this only bounds an odd run. */
const DURATION_MS = 15_000;
/** Paced: one request every 20 ms (50/s), so 300 span 6 s, three rounds of held deliveries. */
const PACE_MS = 20;
/** A paced request that has not been answered by then counts as failed (status 0). */
const REQUEST_TIMEOUT_MS = 10_000;
/** How long the receiver holds each request before answering. */
const RECEIVER_DELAY_MS = 2_000;

// Rate limits would answer 429 within a second; info logs would write one line per request;
// agents are not started, so every event comes from the API itself.
const BASE_CONFIG =
  "limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }\nlog: { level: warn }\nagents: { maxConcurrency: 0 }\n";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A webhook receiver on 127.0.0.1 that answers 200 after `delayMs`; counts what it saw. */
function slowReceiver(delayMs: number) {
  const stats = { received: 0, answered: 0, open: 0, maxOpen: 0 };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // Longer than the delay, so Bun does not close a held connection itself.
    idleTimeout: 30,
    async fetch(request) {
      stats.received++;
      stats.open++;
      stats.maxOpen = Math.max(stats.maxOpen, stats.open);
      try {
        await request.arrayBuffer();
        await sleep(delayMs);
        stats.answered++;
        return new Response("ok");
      } finally {
        stats.open--;
      }
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hook`, stats, stop: () => server.stop(true) };
}

interface Run {
  closed: LoadResult;
  paced: LoadResult;
  rss: string;
  /** (b) only: the outbox by status and what the receiver had seen, right after the last request. */
  after?: { counts: Record<string, number>; receiver: ReceiverStats };
}

type ReceiverStats = ReturnType<typeof slowReceiver>["stats"];

function createRequest({ url, key }: BenchServer): { url: string; init: RequestInit } {
  return {
    url: `${url}/api/swarm`,
    init: {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "bench", task: "t", initialAgents: 1, config: DEMO }),
    },
  };
}

/**
 * `count` requests, request i sent no earlier than i × `paceMs` after the start, at most `workers`
 * in flight; latency from sending to the whole body read (as runLoad measures it).
 */
async function pacedLoad(
  name: string,
  { url, init }: { url: string; init: RequestInit },
  count: number,
  paceMs: number,
  workers: number,
): Promise<LoadResult> {
  const latencies = new Float64Array(count);
  const failures = new Map<number, number>();
  let [next, done, bodyBytes] = [0, 0, 0];
  const started = performance.now();
  const loop = async () => {
    while (next < count) {
      const wait = started + next++ * paceMs - performance.now();
      if (wait > 0) await sleep(wait);
      const t0 = performance.now();
      let status = 0;
      try {
        const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        bodyBytes = (await response.arrayBuffer()).byteLength;
        status = response.status;
      } catch {
        // A network error or the timeout: counted under status 0.
      }
      latencies[done++] = performance.now() - t0;
      if (status < 200 || status > 299) failures.set(status, (failures.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
  return {
    ...summarize(name, latencies.subarray(0, done), performance.now() - started),
    failures,
    failed: [...failures.values()].reduce((a, b) => a + b, 0),
    bodyBytes,
  };
}

/** The outbox by status, from the admin API (the bench server's key is the admin key). */
async function outboxCounts({ url, key }: BenchServer): Promise<Record<string, number>> {
  const response = await fetch(`${url}/api/notifications?limit=1`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  if (!response.ok) throw new Error(`GET /api/notifications: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { counts: Record<string, number> }).counts;
}

async function run(configYaml: string, label: string, receiver?: ReceiverStats): Promise<Run> {
  let out: Run | undefined;
  await withBenchServer(configYaml, async (server) => {
    const request = createRequest(server);
    const closed = await runLoad({
      name: `POST /api/swarm closed loop, ${label}`,
      ...request,
      workers: WORKERS,
      maxRequests: REQUESTS,
      durationMs: DURATION_MS,
      warmup: WARMUP,
    });
    const paced = await pacedLoad(
      `POST /api/swarm at ${1000 / PACE_MS}/s, ${label}`,
      request,
      REQUESTS,
      PACE_MS,
      WORKERS,
    );
    const after = receiver && { counts: await outboxCounts(server), receiver: { ...receiver } };
    out = { closed, paced, rss: await server.rss(), after };
  });
  if (!out) throw new Error(`${label}: the bench did not run`);
  return out;
}

export async function benchNotifySlowReceiver(): Promise<void> {
  const started = performance.now();
  const plain = await run(BASE_CONFIG, "no sink");

  const receiver = slowReceiver(RECEIVER_DELAY_MS);
  let slow: Run;
  try {
    const notify = `notify: { timeoutMs: 10000, sinks: { slow: { url: "${receiver.url}", events: ["*"] } } }\n`;
    slow = await run(`${BASE_CONFIG}${notify}`, `slow sink (${RECEIVER_DELAY_MS / 1000} s)`, receiver.stats);
  } finally {
    receiver.stop();
  }

  const ratio = (v: number, base: number) => `${(v / base).toFixed(2)}×`;
  const baseline = new Map<LoadResult, LoadResult>([
    [slow.closed, plain.closed],
    [slow.paced, plain.paced],
  ]);
  const rows = [plain.closed, slow.closed, plain.paced, slow.paced];
  printSummaries(
    `notifications off the request path: POST /api/swarm (1 agent) on dash serve, ${REQUESTS} requests per row, at most ${WORKERS} in flight (closed loop after ${WARMUP} warm-up, then paced at ${1000 / PACE_MS}/s), (a) no sink vs (b) a webhook sink for every event whose 127.0.0.1 receiver answers after ${RECEIVER_DELAY_MS / 1000} s (notify.timeoutMs 10000)`,
    rows,
    (r) => {
      const base = baseline.get(r);
      return {
        "p50 / p95 / p99 vs no sink": base
          ? `${ratio(r.p50, base.p50)} / ${ratio(r.p95, base.p95)} / ${ratio(r.p99, base.p99)}`
          : "baseline",
        "non-2xx": r.failed,
        "server RSS at end": base ? slow.rss : plain.rss,
      };
    },
  );
  for (const r of rows.filter((row) => row.failed > 0)) {
    const byStatus = [...r.failures].map(
      ([status, n]) => `${n} × ${status === 0 ? "network error" : status}`,
    );
    console.log(`${r.name}: ${byStatus.join(", ")}`);
  }
  const counts = slow.after?.counts ?? {};
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const creates = WARMUP + 2 * REQUESTS;
  const stats = slow.after?.receiver ?? receiver.stats;
  console.log(
    `outbox at the end of (b), read right after its last request: ${counts.pending ?? 0} pending, ${counts.delivered ?? 0} delivered, ${counts.dead ?? 0} dead (${total} rows for ${creates} creates, ${(total / creates).toFixed(1)} events each); the receiver had got ${stats.received} deliveries, answered ${stats.answered}, held at most ${stats.maxOpen} at once`,
  );
  console.log(`notify bench took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  await benchNotifySlowReceiver();
  process.exit(0);
}
