import { expect, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import { type ReplayData, ReplayGate } from "../../src/api/websocket-replay.ts";
import type { EventRecord } from "../../src/domain/event.ts";

/**
 * The replay gate's wait (websocket-replay.ts): a socket whose read went past what this node has
 * published goes live only once that event is published here (then the topic has it too), or
 * after a bounded wait, so a store with several writers never sends an event twice nor loses one.
 */

const socket = () => ({ data: { filter: ["*"], replaying: true } }) as unknown as ServerWebSocket<ReplayData>;
const event = (id: string): EventRecord => ({
  id,
  type: "agent.progress",
  source: "a",
  timestamp: 1,
  data: {},
});

test("behind: a cursor newer than the last published event (or none published) is ahead of the bus", () => {
  const gate = new ReplayGate<ReplayData>();
  expect(gate.behind(undefined)).toBe(false);
  expect(gate.behind("01B")).toBe(true);
  gate.offer(event("01C"));
  expect(gate.behind("01B")).toBe(false);
  expect(gate.behind("01C")).toBe(false);
  expect(gate.behind("01D")).toBe(true);
});

test("a waiting socket goes live after the awaited event is published, not before; held events are kept", async () => {
  const gate = new ReplayGate<ReplayData>();
  const ws = socket();
  gate.hold(ws);
  let live = 0;
  gate.waitFor(ws, "01E", () => live++);
  expect(gate.isWaiting(ws)).toBe(true);
  gate.offer(event("01D"));
  await Promise.resolve();
  expect(live).toBe(0);
  gate.offer(event("01E"));
  expect(live).toBe(0); // not inside the publish: after it (and the rest of its page)
  await Promise.resolve();
  expect(live).toBe(1);
  expect(gate.isWaiting(ws)).toBe(false);
  expect(ws.data.held?.map((e) => e.id)).toEqual(["01D", "01E"]);
});

test("an event never published here (another process wrote it) is waited for a bounded time only", async () => {
  const gate = new ReplayGate<ReplayData>();
  const ws = socket();
  gate.hold(ws);
  const live = new Promise<number>((resolve) => {
    const started = Date.now();
    gate.waitFor(ws, "01Z", () => resolve(Date.now() - started));
  });
  expect(await live).toBeGreaterThanOrEqual(900);
});

test("released while waiting: nothing fires afterwards", async () => {
  const gate = new ReplayGate<ReplayData>();
  const ws = socket();
  gate.hold(ws);
  let live = 0;
  gate.waitFor(ws, "01E", () => live++);
  gate.release(ws);
  gate.offer(event("01F"));
  await Bun.sleep(1100);
  expect(live).toBe(0);
  expect(ws.data.held).toBeNull();
});
