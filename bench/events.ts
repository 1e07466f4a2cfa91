/**
 * The live event stream end to end: `dash serve` in its own process, N WebSocket clients here.
 * Latency = from sending the HTTP request that changes state (a budget allocation: one event) to
 * each client receiving that event, so it includes the request and its COMMIT. PRD: p95 < 20 ms.
 */
import { rawWebSocket } from "../tests/ws-raw.ts";
import { type BenchServer, withBenchServer } from "./serve.ts";
import { printSummaries, type Summary, summarize } from "./stats.ts";

/** Agents are not started here (maxConcurrency 0): demo, which needs no CLI, is what they would run. */
const DEMO = { runtime: "demo" };

const CLIENTS = [1, 10, 100];
const CHANGES = 300;
const FANOUT_CHANGES = 1_000;
const FANOUT_WORKERS = 8;
const SLOW_BOUND = 256 * 1024;

interface Clients {
  sockets: WebSocket[];
  /** Called for every event any client receives. */
  onEvent: (handler: () => void) => void;
}

/** Opens `n` clients and waits until each says it is live. */
async function openClients({ url, key }: BenchServer, n: number, filter: string): Promise<Clients> {
  let handler = () => {};
  const sockets = await Promise.all(
    Array.from({ length: n }, async () => {
      const ws = new WebSocket(`${url.replace("http", "ws")}/events?token=${key}&filter=${filter}`);
      await new Promise<void>((resolve, reject) => {
        ws.addEventListener("error", () => reject(new Error("WebSocket error")));
        ws.addEventListener("message", (m) => {
          if (String(m.data).startsWith('{"op":"ready"')) return resolve();
          if (!String(m.data).startsWith('{"op"')) handler();
        });
      });
      return ws;
    }),
  );
  return {
    sockets,
    onEvent: (h) => {
      handler = h;
    },
  };
}

function api({ url, key }: BenchServer) {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  return async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string };
  };
}

/** One change at a time; the next starts when every client has the previous one. */
async function latency(server: BenchServer, name: string, clients: Clients, changes = CHANGES) {
  const post = api(server);
  const swarm = await post("/api/swarm", { name: `lat-${name}`, task: "t", initialAgents: 1, config: DEMO });
  const latencies: number[] = [];
  let t0 = 0;
  let left = 0;
  let done = () => {};
  clients.onEvent(() => {
    latencies.push(performance.now() - t0);
    if (--left === 0) done();
  });
  const started = performance.now();
  for (let k = 0; k < changes; k++) {
    const received = new Promise<void>((resolve) => {
      done = resolve;
    });
    left = clients.sockets.length;
    t0 = performance.now();
    await post("/api/budget/allocate", { swarmId: swarm.id, amount: 100 + (k % 2) });
    await received;
  }
  return summarize(name, latencies, performance.now() - started);
}

/** Changes sent by several workers at once; figures are deliveries (events × clients) per second. */
async function fanout(server: BenchServer, clients: Clients): Promise<Summary> {
  const post = api(server);
  const swarm = await post("/api/swarm", { name: "fanout", task: "t", initialAgents: 1, config: DEMO });
  const expected = FANOUT_CHANGES * clients.sockets.length;
  let delivered = 0;
  let done = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  clients.onEvent(() => void (++delivered === expected && done()));
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: FANOUT_WORKERS }, async () => {
      while (sent < FANOUT_CHANGES) {
        const k = sent++;
        await post("/api/budget/allocate", { swarmId: swarm.id, amount: 100 + (k % 2) });
      }
    }),
  );
  await all;
  const elapsed = performance.now() - started;
  return {
    ...summarize(`fan-out, ${clients.sockets.length} clients`, [], elapsed),
    count: expected,
    perSecond: expected / (elapsed / 1000),
  };
}

async function closedSlow({ url, key }: BenchServer): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${key}` } })).text();
  return Number(/^dash_websocket_closed_total\{reason="slow"\} (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/**
 * Ten clients' latency while swarms of 100 agents with a 10 KB task (about 1 MB of events each) are
 * created alongside, first alone, then with one more client that never reads.
 */
async function slowConsumer(server: BenchServer): Promise<void> {
  const post = api(server);
  const run = async (name: string, withSlow: boolean) => {
    const clients = await openClients(server, 10, "budget.*");
    const slow = withSlow
      ? rawWebSocket(`${server.url.replace("http", "ws")}/events?token=${server.key}`, {
          pauseAfterUpgrade: true,
        })
      : undefined;
    await slow?.upgraded;
    let loading = true;
    const load = (async () => {
      for (let i = 0; loading; i++)
        await post("/api/swarm", {
          name: `${name}-${i}`,
          task: "x".repeat(10_000),
          initialAgents: 100,
          config: DEMO,
        });
    })();
    const summary = await latency(server, name, clients, CHANGES);
    loading = false;
    await load;
    for (const ws of clients.sockets) ws.close();
    slow?.socket.destroy();
    return { ...summary, rss: await server.rss() };
  };
  const alone = await run("10 clients + 1 MB commits", false);
  const withSlow = await run("same + a client that never reads", true);
  printSummaries(
    `Slow consumer (bound ${SLOW_BOUND / 1024} KiB): other clients' latency, POST → event`,
    [alone, withSlow],
    (r) => ({ "server RSS": r.rss }),
  );
  console.log(
    `p99 with the slow client / without: ${(withSlow.p99 / alone.p99).toFixed(2)}× (acceptance: ≤ 2×); slow clients closed: ${await closedSlow(server)}`,
  );
}

export async function benchEvents(): Promise<void> {
  const config = `limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }\nlog: { level: warn }\nwebsocket: { maxBufferBytes: ${SLOW_BOUND} }\nagents: { maxConcurrency: 0 }\n`;
  await withBenchServer(config, async (server) => {
    const rows: Summary[] = [];
    let fan: Summary | undefined;
    for (const n of CLIENTS) {
      const clients = await openClients(server, n, "budget.*");
      rows.push(await latency(server, `${n} client${n === 1 ? "" : "s"}`, clients));
      if (n === Math.max(...CLIENTS)) fan = await fanout(server, clients);
      for (const ws of clients.sockets) ws.close();
    }
    printSummaries(
      `Event stream: POST → event at every client, ${CHANGES} changes one at a time`,
      rows,
      (r) => ({
        "p95 target": "< 20 ms",
        "p95 ok": r.p95 < 20 ? "yes" : "NO",
        "p99 aim": r.p99 < 5 ? "< 5 ms: yes" : "< 5 ms: no",
      }),
    );
    if (fan)
      console.log(
        `\nfan-out: ${fan.count} deliveries (${FANOUT_CHANGES} events × ${CLIENTS.at(-1)} clients, ${FANOUT_WORKERS} writers) at ${Math.round(fan.perSecond)} events/s delivered`,
      );
    await slowConsumer(server);
    console.log(`server RSS: ${await server.rss()}`);
  });
}

if (import.meta.main) await benchEvents();
