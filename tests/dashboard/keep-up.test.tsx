import { afterAll, expect, test } from "bun:test";
import { act } from "react";
import { DashClient } from "../../src/client/client.ts";
import { App } from "../../src/dashboard/app.tsx";
import { DashboardFeed } from "../../src/dashboard/model/feed.ts";
import { DashboardStore } from "../../src/dashboard/model/store.ts";
import { testServer } from "../api-helpers.ts";
import { until } from "../helpers.ts";
import { renderAt } from "./render.ts";

const AGENTS = 1000;
const PER_SECOND = 200;
const SECONDS = 3;

const server = await testServer();
afterAll(() => server.close());

/**
 * 1,000 agents and 200 changes a second through the real server, the real event stream, the store
 * and the App rendered at 160×48: the dashboard must keep up. "Keeping up" is measured as the
 * backlog (changes committed by the server and not yet drawn) sampled on every frame: it must stay
 * bounded while the load runs, and drain to zero once it stops.
 */
test("with 1,000 agents and 200 changes/s the backlog stays bounded and drains", async () => {
  const { lifecycle } = server.t;
  const ids: string[] = [];
  for (let s = 0; s < AGENTS / 100; s++) {
    const input = { name: `load-${s}`, task: "keep up", initialAgents: 100, budget: { amount: 1000 } };
    const { agents } = await lifecycle.createSwarm(input as Parameters<typeof lifecycle.createSwarm>[0]);
    ids.push(...agents.map((a) => a.id));
  }
  const store = new DashboardStore(50);
  const client = new DashClient({
    url: server.server.url.href.replace(/\/$/, ""),
    key: server.keys.admin,
    keySource: "test",
  });
  const feed = new DashboardFeed(client, store, { historyMs: 0 });
  await feed.start();
  await until(() => store.getView().agents.length === AGENTS && store.getView().connection === "live");
  const info = { url: "test", keySource: "test", version: "test", batchMs: 50 };
  const actions = {
    kill: async () => {},
    refresh: async () => {},
    answer: async () => {},
    readLog: async () => ({ lines: [], offset: 0, finished: true }),
  };
  const screen = await renderAt(
    <App store={store} actions={actions} info={info} onQuit={() => {}} />,
    160,
    48,
  );
  const base = store.getView().applied;

  let sent = 0;
  let stop = false;
  const load = (async () => {
    const started = performance.now();
    for (let tick = 0; !stop && tick < (SECONDS * 1000) / 50; tick++) {
      const batch = Array.from(
        { length: PER_SECOND / 20 },
        () => ids[Math.floor(Math.random() * ids.length)] ?? "",
      );
      await Promise.all(
        batch.map((id) =>
          lifecycle.recordUsage(id, { promptTokens: 10, completionTokens: 5, costUsd: 0.0001 }),
        ),
      );
      sent += batch.length;
      const next = started + (tick + 1) * 50;
      await Bun.sleep(Math.max(0, next - performance.now()));
    }
  })();

  // The renderer's side: one frame per batch window, as the real renderer draws.
  const backlog: number[] = [];
  const frames: number[] = [];
  while (sent < PER_SECOND * SECONDS) {
    const t0 = performance.now();
    await act(() => Bun.sleep(0));
    await screen.renderOnce();
    frames.push(performance.now() - t0);
    backlog.push(sent - (store.getView().applied - base));
    await Bun.sleep(50);
  }
  stop = true;
  await load;
  await until(() => store.getView().applied - base >= sent, 3000);
  await act(() => Bun.sleep(60));
  await screen.renderOnce();
  feed.stop();
  store.close();

  const sorted = [...frames].sort((a, b) => a - b);
  console.log(
    `keep-up: ${sent} changes to ${AGENTS} agents in ${SECONDS}s; frames ${frames.length}, frame p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms; backlog max ${Math.max(...backlog)}, last ${backlog.at(-1)}; renders ${store.flushes}`,
  );
  // Bounded: never more than one second of changes behind, and no worse at the end than early on.
  expect(Math.max(...backlog)).toBeLessThan(PER_SECOND);
  const half = Math.floor(backlog.length / 2);
  expect(Math.max(...backlog.slice(half))).toBeLessThanOrEqual(
    Math.max(PER_SECOND / 4, ...backlog.slice(0, half)) * 2,
  );
  // Batched: far fewer renders than changes.
  expect(store.flushes).toBeLessThan(sent / 3);
  expect(store.getView().agents).toHaveLength(AGENTS);
  expect(screen.captureCharFrame()).toContain(`agents ${AGENTS}`);
}, 60_000);
