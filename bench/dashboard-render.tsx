/**
 * The dashboard's render cost in-process: a full update (every agent changed) with 50 and with
 * 1,000 agents, from the store publishing to the frame drawn, and one event appended to the
 * stream. The App is the real one, on OpenTUI's test renderer at 160×48; nothing is asserted.
 */
import { createTestRenderer } from "@opentui/core/testing";
import { createRoot, flushSync } from "@opentui/react";
import { ulid } from "ulid";
import { App } from "../src/dashboard/app.tsx";
import { blankAgent } from "../src/dashboard/model/apply-event.ts";
import { DashboardStore } from "../src/dashboard/model/store.ts";
import type { AgentResponse } from "../src/domain/agent.ts";
import type { DashEvent } from "../src/domain/event.ts";
import { measure, printSummaries, type Summary } from "./stats.ts";

const ROUNDS = 60;
const SWARM = ulid();

function agents(count: number): AgentResponse[] {
  const at = new Date().toISOString();
  return Array.from({ length: count }, (_, i) =>
    blankAgent(
      {
        id: ulid(),
        name: `agent-${String(i).padStart(4, "0")}`,
        swarmId: SWARM,
        status: "running",
        task: "refactor the auth module",
        model: "claude-sonnet-4",
        progress: { current: 0, total: 100, percentage: 0 },
      },
      at,
    ),
  );
}

async function renderCost(count: number): Promise<Summary[]> {
  const store = new DashboardStore(50);
  let team = agents(count);
  store.replaceAll({ agents: team, swarms: [], budgets: null });
  store.flush();
  const actions = {
    kill: async () => {},
    refresh: async () => {},
    readLog: async () => ({ lines: [], offset: 0, finished: true }),
    answer: async () => {},
  };
  const info = { url: "bench", keySource: "bench", version: "bench", batchMs: 50 };
  // React's production build, as `bun run bench` runs (package.json), like the binary.
  const screen = await createTestRenderer({ width: 160, height: 48 });
  flushSync(() => {
    createRoot(screen.renderer).render(<App store={store} actions={actions} info={info} onQuit={() => {}} />);
  });
  await screen.renderOnce();
  const full = await measure(`full update, ${count} agents`, ROUNDS, async (round) => {
    team = team.map((a) => ({
      ...a,
      progress: { current: round, total: 100, percentage: round },
      cost: { ...a.cost, amount: a.cost.amount + 0.01 },
      version: a.version + 1,
    }));
    flushSync(() => {
      store.replaceAll({ agents: team, swarms: [], budgets: null });
      store.flush();
    });
    await screen.renderOnce();
  });
  const append = await measure(`one event appended, ${count} agents`, ROUNDS, async (round) => {
    const event: DashEvent = {
      id: ulid(),
      timestamp: new Date().toISOString(),
      type: "agent.progress",
      source: team[0]?.id ?? "",
      data: { agentId: team[0]?.id, progress: { current: round, total: 100, percentage: round } },
    };
    flushSync(() => {
      store.addEvent(event);
      store.flush();
    });
    await screen.renderOnce();
  });
  screen.renderer.destroy();
  store.close();
  return [full, append];
}

export async function benchDashboardRender(): Promise<void> {
  const rows = [...(await renderCost(50)), ...(await renderCost(1000))];
  printSummaries(
    "dashboard render (App at 160×48; PRD: 50-agent refresh < 100 ms, event append < 16 ms; aim 16 ms)",
    rows,
  );
}

if (import.meta.main) await benchDashboardRender();
