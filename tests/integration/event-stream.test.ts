import { afterAll, expect, test } from "bun:test";
import { EventStream } from "../../src/client/events.ts";
import type { DashEvent } from "../../src/domain/event.ts";
import { testServer } from "../api-helpers.ts";
import { until } from "../helpers.ts";

const api = await testServer();
afterAll(() => api.close());
const connection = { url: api.server.url.origin, key: api.keys.read, keySource: "test" };

test("gapless resume: ≥ 10,000 events from 8 writers, 20+ random drops, every event once and in id order", async () => {
  const { lifecycle, store } = api.t;
  const { swarm } = await lifecycle.createSwarm({ name: "stream", task: "t", initialAgents: 8 });
  const agents = await store.listAgents({ swarmId: swarm.id });
  const start = (await store.listEvents()).at(-1)?.id;
  const received: DashEvent[] = [];
  let reconnects = 0;
  const stream = new EventStream({
    connection,
    since: start,
    onEvent: (e) => received.push(e),
    onStatus: (s) => void (s.state === "reconnecting" && reconnects++),
    minDelayMs: 2,
    maxDelayMs: 20,
  }).start();
  // 8 writers, each 1,260 usage reports (one event each) while the client is dropped at random.
  let writing = true;
  const writers = agents.map(async (agent) => {
    for (let i = 0; i < 1260; i++) {
      await lifecycle.recordUsage(agent.id, { promptTokens: 1, completionTokens: 1, costUsd: 0.000001 });
      if (i % 50 === 0) await Bun.sleep(0);
    }
  });
  const dropper = (async () => {
    while (writing || reconnects < 20) {
      await Bun.sleep(5 + Math.random() * 20);
      stream.drop();
    }
  })();
  await Promise.all(writers);
  writing = false;
  await dropper;
  const expected = (await store.listEvents({ afterId: start })).map((e) => e.id);
  expect(expected.length).toBeGreaterThanOrEqual(10_000);
  await until(() => received.length >= expected.length, 20_000);
  stream.stop();
  expect(reconnects).toBeGreaterThanOrEqual(20);
  expect(received.map((e) => e.id)).toEqual(expected);
  console.log(`event stream: ${expected.length} events, ${reconnects} reconnects, none lost or repeated`);
}, 60_000);

test("a stream with no since starts live and still misses nothing across a drop", async () => {
  const received: string[] = [];
  let opened = 0;
  const stream = new EventStream({
    connection,
    onEvent: (e) => received.push(e.id),
    onStatus: (s) => void (s.state === "open" && opened++),
    minDelayMs: 50,
  }).start();
  await until(() => opened === 1 && stream.lastId !== undefined);
  const from = stream.lastId;
  stream.drop();
  // Committed while the client is away: the resume (after the "ready" id) must bring them.
  await api.t.lifecycle.createSwarm({ name: "away", task: "t", initialAgents: 2 });
  const expected = (await api.t.store.listEvents({ afterId: from })).map((e) => e.id);
  expect(expected).toHaveLength(3); // swarm.created and two agent.spawned
  await until(() => opened === 2 && received.length >= expected.length);
  stream.stop();
  expect(received).toEqual(expected);
});

test("a refused token stops the stream for good instead of retrying", async () => {
  const states: { state: string; code?: number; reason?: string }[] = [];
  new EventStream({
    connection: { ...connection, key: api.keys.revoked },
    onEvent: () => {},
    onStatus: (s) => void states.push(s),
    minDelayMs: 1,
  }).start();
  await until(() => states.length > 0);
  await Bun.sleep(50);
  expect(states.filter((s) => s.state !== "open")).toEqual([
    { state: "fatal", code: 4401, reason: "API key has been revoked" },
  ]);
});
