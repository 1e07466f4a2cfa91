/**
 * The same write path on PostgreSQL (a real server the bench starts, as the tests do:
 * tests/pg-server.ts), and what several nodes add: an event written on node A reaching node B's
 * bus (LISTEN/NOTIFY, then a read of the table). Beside the SQLite rows of write-path.ts.
 */
import { EventBus } from "../src/bus/bus.ts";
import { TableFeed } from "../src/core/event-feed.ts";
import { Lifecycle } from "../src/core/lifecycle.ts";
import { PostgresStore } from "../src/storage/postgres.ts";
import { newPostgresDatabase, postgresMissing } from "../tests/pg-server.ts";
import { measure, printSummaries, rssMiB, summarize } from "./stats.ts";

async function node(url: string) {
  const store = await PostgresStore.open(url);
  const bus = new EventBus();
  const feed = new TableFeed(store, bus, (error) => console.error(error));
  await feed.start();
  return { store, bus, feed, lifecycle: new Lifecycle(store, bus, { feed, maxAgentsPerSwarm: 100 }) };
}

export async function benchWritePathPostgres(): Promise<void> {
  const missing = postgresMissing();
  if (missing) return void console.log(`\nWrite path (PostgreSQL): skipped, ${missing}`);
  const url = await newPostgresDatabase();
  const a = await node(url);
  const b = await node(url);
  try {
    const { agents } = await a.lifecycle.createSwarm({ name: "bench", task: "bench", initialAgents: 100 });
    for (const agent of agents) {
      await a.lifecycle.moveAgent(agent.id, { to: "spawning" });
      await a.lifecycle.moveAgent(agent.id, { to: "running" });
    }
    const ids = agents.map((x) => x.id);
    const pick = (i: number) => ids[i % ids.length] as string;
    const writes = [
      await measure("agent transition", 3_000, (i) =>
        a.lifecycle.moveAgent(pick(i), { to: Math.floor(i / ids.length) % 2 === 0 ? "paused" : "running" }),
      ),
      await measure("usage report (agent + budget)", 3_000, (i) =>
        a.lifecycle.recordUsage(pick(i), { promptTokens: 1200, completionTokens: 300, costUsd: 0.0042 }),
      ),
      await measure("create swarm (10 agents)", 300, (i) =>
        a.lifecycle.createSwarm({ name: `s${i}`, task: "bench", initialAgents: 10 }),
      ),
    ];
    printSummaries(
      "Write path (PostgreSQL 15 on loopback, one transaction per op, published from the table)",
      writes,
    );
    const reads = [
      await measure("agent by id", 3_000, (i) => a.store.getAgent(pick(i))),
      await measure("agents by swarm (100)", 500, () => a.store.listAgents({ swarmId: agents[0]?.swarmId })),
      await measure("recent events (100)", 500, () =>
        a.store.listEvents({ since: Date.now() - 60_000, limit: 100 }),
      ),
    ];
    printSummaries("PostgreSQL reads", reads);
    // Fan-out across nodes: from the write's start on A to the event on B's bus.
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      const seen = new Promise<void>((resolve) => {
        const off = b.bus.subscribe((event) => {
          if (event.data.agentId !== pick(i) || event.type !== "agent.usage") return;
          off();
          resolve();
        });
      });
      await a.lifecycle.recordUsage(pick(i), { promptTokens: 1, completionTokens: 1, costUsd: 0.0001 });
      await seen;
      latencies.push(performance.now() - t0);
    }
    printSummaries("Events across nodes (written on A, on B's bus)", [
      summarize("usage event A → B", latencies, performance.now() - started),
    ]);
    console.log(`RSS: ${rssMiB()}`);
  } finally {
    for (const n of [a, b]) {
      await n.feed.stop();
      await n.store.end();
    }
  }
}

if (import.meta.main) {
  await benchWritePathPostgres();
  process.exit(0);
}
