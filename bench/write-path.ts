/**
 * The one write path on a real SQLite file (WAL, synchronous NORMAL): state transitions, usage
 * reports (agent + budget in one transaction) and swarm creation.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "../src/bus/bus.ts";
import { Lifecycle } from "../src/core/lifecycle.ts";
import { SqliteStore } from "../src/storage/sqlite.ts";
import { measure, printSummaries, rssMiB } from "./stats.ts";

export async function benchWritePath(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "dash-bench-"));
  const store = SqliteStore.open(join(dir, "dash.db"));
  const bus = new EventBus();
  let delivered = 0;
  bus.subscribe(() => delivered++);
  const lifecycle = new Lifecycle(store, bus, { maxAgentsPerSwarm: 100 });
  try {
    const { agents } = await lifecycle.createSwarm({ name: "bench", task: "bench", initialAgents: 100 });
    for (const a of agents) {
      await lifecycle.moveAgent(a.id, { to: "spawning" });
      await lifecycle.moveAgent(a.id, { to: "running" });
    }
    const ids = agents.map((a) => a.id);
    const pick = (i: number) => ids[i % ids.length] as string;
    // running ⇄ paused: each op is one full transition (read, check, update, event, publish).
    const transitions = await measure("agent transition", 20_000, (i) =>
      lifecycle.moveAgent(pick(i), { to: Math.floor(i / ids.length) % 2 === 0 ? "paused" : "running" }),
    );
    const usage = await measure("usage report (agent + budget)", 20_000, (i) =>
      lifecycle.recordUsage(pick(i), { promptTokens: 1200, completionTokens: 300, costUsd: 0.0042 }),
    );
    const progress = await measure("progress report", 10_000, (i) =>
      lifecycle.reportProgress(pick(i), { current: i % 10, total: 10 }).catch(() => undefined),
    );
    const swarms = await measure("create swarm (10 agents)", 1_000, (i) =>
      lifecycle.createSwarm({ name: `s${i}`, task: "bench", initialAgents: 10 }),
    );
    printSummaries("Write path (bun:sqlite, one transaction per op)", [transitions, usage, progress, swarms]);
    // PRD §8.3's queries, on what the writes above left: 10,100 agents, 1,001 swarms, ~60k events.
    const since = Date.now() - 60_000;
    const reads = [
      await measure("agent by id", 10_000, (i) => store.getAgent(pick(i))),
      await measure("agents by swarm (100)", 2_000, () => store.listAgents({ swarmId: agents[0]?.swarmId })),
      await measure("agents by status (≤ 100)", 2_000, () =>
        store.listAgents({ status: "paused", limit: 100 }),
      ),
      await measure("recent events (100)", 2_000, () => store.listEvents({ since, limit: 100 })),
    ];
    printSummaries("SQLite reads (PRD §8.3)", reads);
    const events = (store.db.query("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
    console.log(`events committed: ${events}, published after commit: ${delivered}, RSS: ${rssMiB()}`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchWritePath();
