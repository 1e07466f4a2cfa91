/**
 * The HTTP API end to end: the real `dash serve` in its own process (so the load generator does
 * not share its CPU and event loop), a database holding 1,000 agents, and concurrent keep-alive
 * clients on loopback. Next to each figure: its PRD target for p95.
 */
import { newPostgresDatabase, postgresMissing } from "../tests/pg-server.ts";
import { helloWorld } from "./hello.ts";
import { type LoadOptions, type LoadResult, runLoad } from "./load.ts";
import { withBenchServer } from "./serve.ts";
import { printSummaries } from "./stats.ts";

/** Agents are not started here (maxConcurrency 0): demo, which needs no CLI, is what they would run. */
const DEMO = { runtime: "demo" };

const WORKERS = 32;
/** Per route; four routes plus start-up and seeding keep the whole bench well under a minute. */
const DURATION_MS = 5_000;
const MAX_REQUESTS = 100_000;
const WARMUP = 500;

interface Credentials {
  url: string;
  key: string;
}

/** 10 swarms × 100 agents (the per-swarm maximum), then checks the database holds exactly 1,000. */
async function seed({ url, key }: Credentials): Promise<void> {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  for (let i = 0; i < 10; i++) {
    const body = JSON.stringify({ name: `seed-${i}`, task: "bench seed", initialAgents: 100, config: DEMO });
    const response = await fetch(`${url}/api/swarm`, { method: "POST", headers, body });
    if (response.status !== 201)
      throw new Error(`seeding swarm ${i}: ${response.status} ${await response.text()}`);
  }
  const page = await fetch(`${url}/api/agents?limit=1000`, { headers });
  const { agents } = (await page.json()) as { agents: unknown[] };
  if (agents.length !== 1000) throw new Error(`expected 1000 agents after seeding, found ${agents.length}`);
}

/** `postgres`: the same routes with the server on a PostgreSQL database (a real one the bench starts). */
export async function benchHttp(options: { postgres?: boolean } = {}): Promise<void> {
  const base = { workers: WORKERS, maxRequests: MAX_REQUESTS, durationMs: DURATION_MS, warmup: WARMUP };
  let database = "";
  if (options.postgres) {
    const missing = postgresMissing();
    if (missing) return void console.log(`\nHTTP API on PostgreSQL: skipped, ${missing}`);
    database = `database: { url: "${await newPostgresDatabase()}" }\n`;
  }
  const bound = await helloWorld(base);
  // Rate limits would answer 429 within a second; info logs would write one line per request;
  // the API alone is measured here, so the swarms' agents are not started (bench/agents.ts does).
  const config = `limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }\nlog: { level: warn }\nagents: { maxConcurrency: 0 }\n${database}`;
  await withBenchServer(config, async (server) => {
    const credentials = { url: server.url, key: server.key };
    await seed(credentials);
    const { url, key } = credentials;
    const read = { headers: { Authorization: `Bearer ${key}` } };
    const routes: (Omit<LoadOptions, keyof typeof base> & { target: number })[] = [
      { name: "GET /health", url: `${url}/health`, target: 10 },
      { name: "GET /api/agents (limit 100)", url: `${url}/api/agents`, init: read, target: 50 },
      { name: "GET /api/agents?limit=1000", url: `${url}/api/agents?limit=1000`, init: read, target: 50 },
      // Last, so the list benches above read exactly the 1,000 seeded agents.
      {
        name: "POST /api/swarm (1 agent)",
        url: `${url}/api/swarm`,
        init: {
          method: "POST",
          headers: { ...read.headers, "Content-Type": "application/json" },
          body: JSON.stringify({ name: "bench", task: "t", initialAgents: 1, config: DEMO }),
        },
        target: 100,
      },
    ];
    const rows: (LoadResult & { target?: number })[] = [bound];
    for (const route of routes)
      rows.push({ ...(await runLoad({ ...base, ...route })), target: route.target });
    printSummaries(
      `HTTP API${options.postgres ? " on PostgreSQL 15 (loopback)" : ""} vs a bare Bun.serve hello-world (each server in its own process, ${WORKERS} concurrent keep-alive clients, ≤ ${DURATION_MS / 1000} s per route after ${WARMUP} warm-up requests)`,
      rows,
      (r) => ({
        "p95 target": r.target ? `< ${r.target} ms` : "upper bound",
        "p95 ok": r.target ? (r.p95 < r.target ? "yes" : "NO") : "",
        "ops/s of bare Bun.serve": `${((100 * r.perSecond) / bound.perSecond).toFixed(0)} %`,
        "p50 × bare": `${(r.p50 / bound.p50).toFixed(1)}×`,
        "non-2xx": r.failed,
        "body bytes": r.bodyBytes,
      }),
    );
    for (const r of rows.filter((row) => row.failed > 0)) {
      const byStatus = [...r.failures].map(
        ([status, n]) => `${n} × ${status === 0 ? "network error" : status}`,
      );
      console.log(`${r.name}: ${byStatus.join(", ")}`);
    }
    console.log(`server RSS: ${await server.rss()}`);
  });
}

if (import.meta.main) {
  await benchHttp({ postgres: process.argv.includes("--postgres") });
  process.exit(0);
}
