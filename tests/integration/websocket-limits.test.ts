import { afterAll, describe, expect, test } from "bun:test";
import { type DashEvent, EventSchema } from "../../src/domain/event.ts";
import { testServer } from "../api-helpers.ts";
import { until } from "../helpers.ts";
import { closeOf, rawWebSocket } from "../ws-raw.ts";

type Api = Awaited<ReturnType<typeof testServer>>;
const wsUrl = (api: Api, query: string) => `${api.server.url.origin.replace("http", "ws")}/events${query}`;

/** A well-behaved client (Bun's WebSocket answers pings itself) that keeps every event. */
function follow(api: Api, query: string) {
  const ws = new WebSocket(wsUrl(api, query));
  const events: DashEvent[] = [];
  let ready = false;
  let closed = false;
  ws.addEventListener("message", (m) => {
    const body = JSON.parse(String(m.data)) as Record<string, unknown>;
    if (body.op === "ready") ready = true;
    else if (!("op" in body)) events.push(EventSchema.parse(body));
  });
  ws.addEventListener("close", () => {
    closed = true;
  });
  return { ws, events, isReady: () => ready, isClosed: () => closed };
}

const socketsClosed = async (api: Api) => {
  const text = await (await api.call("GET", "/metrics", api.keys.read)).text();
  const count = (reason: string) =>
    Number(new RegExp(`^dash_websocket_closed_total\\{reason="${reason}"\\} (\\d+)`, "m").exec(text)?.[1]);
  return { dead: count("dead"), slow: count("slow") };
};

describe("heartbeat", async () => {
  const HEARTBEAT_MS = 300;
  const api = await testServer({ websocket: { heartbeatMs: HEARTBEAT_MS, maxBufferBytes: 1024 * 1024 } });
  afterAll(() => api.close());

  test("a peer that stops answering pings is dropped within two intervals; one that answers stays", async () => {
    const healthy = follow(api, `?token=${api.keys.read}`);
    await until(healthy.isReady);
    const silent = rawWebSocket(wsUrl(api, `?token=${api.keys.read}`));
    await silent.upgraded;
    const since = performance.now();
    await silent.ended;
    const elapsed = performance.now() - since;
    console.log(`heartbeat ${HEARTBEAT_MS} ms: silent peer dropped after ${Math.round(elapsed)} ms`);
    // Two intervals, plus one of slack for timers on a loaded CI machine.
    expect(elapsed).toBeLessThan(3 * HEARTBEAT_MS);
    expect(silent.frames().some((f) => f.opcode === 0x9)).toBe(true);
    await Bun.sleep(4 * HEARTBEAT_MS);
    expect(healthy.isClosed()).toBe(false);
    expect(await socketsClosed(api)).toEqual({ dead: 1, slow: 0 });
    healthy.ws.close();
  });
});

describe("slow consumers", async () => {
  const BOUND = 256 * 1024;
  const api = await testServer({ websocket: { heartbeatMs: 60_000, maxBufferBytes: BOUND } });
  afterAll(() => api.close());
  // agent.spawned carries the task: each swarm of 100 agents is about 1 MB of events.
  const bigSwarm = (i: number) =>
    api.t.lifecycle.createSwarm({ name: `big-${i}`, task: "x".repeat(10_000), initialAgents: 100 });

  test("a client that never reads is closed once over its bound with 4429, others get everything, it resumes with since", async () => {
    const start = (await api.t.store.lastEventId()) ?? undefined;
    const fast = follow(api, `?token=${api.keys.read}`);
    await until(fast.isReady);
    const slow = rawWebSocket(wsUrl(api, `?token=${api.keys.read}`), { pauseAfterUpgrade: true });
    await slow.upgraded;
    // The kernel takes a few MB before the server's own buffer starts to grow.
    let swarms = 0;
    while ((await socketsClosed(api)).slow === 0 && swarms < 40) await bigSwarm(swarms++);
    expect(await socketsClosed(api)).toEqual({ dead: 0, slow: 1 });

    slow.socket.resume();
    await slow.ended;
    const frames = slow.frames();
    const last = frames.at(-1);
    expect(last?.opcode).toBe(0x8);
    const close = closeOf(last as NonNullable<typeof last>);
    expect(close.code).toBe(4429);
    expect(close.reason).toContain("too slow");

    // It resumes after the last event it read and, with what it had, holds every event once.
    const read = frames
      .filter((f) => f.opcode === 0x1)
      .map((f) => JSON.parse(f.payload.toString("utf8")) as Record<string, unknown>)
      .filter((body) => !("op" in body))
      .map((body) => EventSchema.parse(body));
    const resumed = follow(api, `?token=${api.keys.read}&since=${read.at(-1)?.id}`);
    await until(resumed.isReady, 20_000);
    const expected = (await api.t.store.listEvents({ afterId: start })).map((e) => e.id);
    expect([...read, ...resumed.events].map((e) => e.id)).toEqual(expected);

    await until(() => fast.events.length >= expected.length, 20_000);
    expect(fast.events.map((e) => e.id)).toEqual(expected);
    expect(fast.isClosed()).toBe(false);
    console.log(
      `slow consumer: closed after ${swarms} MB-sized commits, ${read.length} events read; fast client got all ${expected.length}`,
    );
    fast.ws.close();
    resumed.ws.close();
  }, 60_000);

  test("a long replay is paced by the client's reading, not closed as slow", async () => {
    // Several pages of about 10 KB events: many times the bound.
    for (let i = 100; (await api.t.store.listEvents()).length < 1_600; i++) await bigSwarm(i);
    const before = await socketsClosed(api);
    const late = follow(api, `?token=${api.keys.read}&since=1970-01-01T00:00:00Z`);
    await until(late.isReady, 20_000);
    const stored = (await api.t.store.listEvents()).map((e) => e.id);
    expect(late.events.map((e) => e.id)).toEqual(stored);
    expect(await socketsClosed(api)).toEqual(before);
    late.ws.close();
  }, 30_000);
});
