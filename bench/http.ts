/**
 * The HTTP API end to end, three servers on the same machine in one run, each in its own process
 * and loaded the same way (wrk when installed, see wrk.ts): a bare Bun.serve hello-world (the upper
 * bound), the PRD's own stack (Express + better-sqlite3, same schema and seed, express-baseline.ts)
 * and the real `dash serve`, both holding 1,000 agents. Every Dash route is printed with its ratio
 * to Express and to bare Bun.serve, next to its PRD target for p95 and issue 29's targets.
 */
import { newPostgresDatabase, postgresMissing } from "../tests/pg-server.ts";
import { expressMissing, withExpressBaseline } from "./express-baseline.ts";
import { withHelloWorld } from "./hello.ts";
import type { LoadResult } from "./load.ts";
import { VALUES } from "./record.ts";
import { table } from "./results.ts";
import { withBenchServer } from "./serve.ts";
import { printSummaries } from "./stats.ts";
import { type HttpLoad, runHttpLoad, wrkPath } from "./wrk.ts";

/** Agents are not started here (maxConcurrency 0): demo, which needs no CLI, is what they would run. */
const DEMO = { runtime: "demo" };
const CONNECTIONS = 50;
/** Per route (after the warm-up): nine loads of 6 s keep the SQLite pass near a minute. */
const DURATION_MS = 5_000;
const WARMUP_MS = 1_000;
/** The size of GET /api/agents?limit=1000's answer for the seeded agents (the bound row's body). */
const PAGE_BYTES = 561_000;

type Row = LoadResult & { generator: string };
export interface Route {
  name: string;
  path: string;
  post?: unknown;
  /** The PRD's p95 bound (§8.2), ms. */
  target: number;
}

export const ROUTES: Route[] = [
  { name: "GET /health", path: "/health", target: 10 },
  { name: "GET /api/agents (limit 100)", path: "/api/agents?limit=100", target: 50 },
  { name: "GET /api/agents?limit=1000", path: "/api/agents?limit=1000", target: 50 },
  // Last, so the list loads above read exactly the 1,000 seeded agents.
  {
    name: "POST /api/swarm (3 agents)",
    path: "/api/swarm",
    post: { name: "bench", task: "t", initialAgents: 3, config: DEMO },
    target: 100,
  },
];

/** 10 swarms × 100 agents (the per-swarm maximum) through the API, then checks there are 1,000. */
export async function seed(url: string, key: string): Promise<void> {
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

async function loadRoutes(url: string, key: string, prefix: string): Promise<Row[]> {
  await seed(url, key);
  const rows: Row[] = [];
  for (const route of ROUTES) {
    const load: HttpLoad = {
      name: `${prefix}${route.name}`,
      url: `${url}${route.path}`,
      connections: CONNECTIONS,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      headers: route.path === "/health" ? {} : { Authorization: `Bearer ${key}` },
    };
    if (route.post) {
      load.method = "POST";
      load.body = JSON.stringify(route.post);
      load.headers = { ...load.headers, "Content-Type": "application/json" };
    }
    rows.push(await runHttpLoad(load));
  }
  return rows;
}

const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(1)}×` : "—");
const percent = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;

/** Issue 29's targets, from the same run: throughput against Express and bare Bun.serve, tails. */
function issueTargets(dash: Row[], express: Row[] | null, bound: Row, big: Row): string {
  const [, list100, list1000, create] = dash as [Row, Row, Row, Row];
  const ex = (i: number) => express?.[i]?.perSecond;
  const checks: [string, string, boolean | null][] = [
    [
      "POST /api/swarm ≥ 5× Express",
      ratio(create.perSecond, ex(3)),
      ex(3) ? create.perSecond >= 5 * (ex(3) as number) : null,
    ],
    ["POST /api/swarm p99 ≤ 20 ms", `${create.p99.toFixed(1)} ms`, create.p99 <= 20],
    [
      "GET /api/agents?limit=100 ≥ 10× Express",
      ratio(list100.perSecond, ex(1)),
      ex(1) ? list100.perSecond >= 10 * (ex(1) as number) : null,
    ],
    [
      "GET /api/agents?limit=100 ≥ 15 % of bare Bun.serve",
      percent(list100.perSecond, bound.perSecond),
      list100.perSecond >= 0.15 * bound.perSecond,
    ],
    [
      "GET /api/agents?limit=1000 p95 < 20 ms",
      `${list1000.p95.toFixed(1)} ms (bare Bun.serve, same-size body: ${big.p95.toFixed(1)} ms)`,
      list1000.p95 < 20,
    ],
  ];
  const met = (ok: boolean | null) => (ok === null ? "not run" : ok ? "yes" : "**no**");
  return table(
    ["issue 29 target", "measured", "met"],
    checks.map(([what, measured, ok]) => [what, measured, met(ok)]),
  );
}

/** `postgres`: Dash on a PostgreSQL database (a real one the bench starts); no Express row then. */
export async function benchHttp(options: { postgres?: boolean } = {}): Promise<void> {
  let database = "";
  if (options.postgres) {
    const missing = postgresMissing();
    if (missing) return void console.log(`\nHTTP API on PostgreSQL: skipped, ${missing}`);
    database = `database: { url: "${await newPostgresDatabase()}" }\n`;
  }
  const on = options.postgres ? " (PostgreSQL)" : "";
  const load = { connections: CONNECTIONS, durationMs: DURATION_MS, warmupMs: WARMUP_MS };
  const bound = await withHelloWorld((url) =>
    runHttpLoad({ ...load, name: `bare Bun.serve hello-world${on}`, url }),
  );
  // A page of 1,000 agents is ~560 KB: what moving that many bytes costs here, with nothing else.
  const big = await withHelloWorld(
    (url) => runHttpLoad({ ...load, name: `bare Bun.serve, a ${PAGE_BYTES / 1000} KB body${on}`, url }),
    PAGE_BYTES,
  );
  const missing = options.postgres ? "not run on the PostgreSQL pass" : expressMissing();
  const express = missing ? null : await withExpressBaseline((s) => loadRoutes(s.url, s.key, "Express: "));
  // Rate limits would answer 429 within a second; info logs would write one line per request;
  // the API alone is measured here, so the swarms' agents are not started (bench/agents.ts does).
  const config = `limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }\nlog: { level: warn }\nagents: { maxConcurrency: 0 }\n${database}`;
  await withBenchServer(config, async (server) => {
    const startRss = await server.rss();
    const dash = await loadRoutes(server.url, server.key, "");
    if (on) for (const row of dash) row.name += on;
    const generator =
      bound.generator === "wrk" ? "wrk -t1" : "in-process Bun fetch (install wrk for less load on the CPU)";
    printSummaries(
      `HTTP API${on} vs the PRD's stack (Express 5 + better-sqlite3, same schema and seed) and a bare Bun.serve hello-world: each server in its own process, ${CONNECTIONS} keep-alive connections from ${generator}, ${DURATION_MS / 1000} s per route after ${WARMUP_MS / 1000} s of warm-up`,
      [bound, big, ...(express ?? []), ...dash],
      (r): Record<string, string | number> => {
        const i = dash.indexOf(r);
        const route = ROUTES[i];
        if (!route) return {};
        return {
          "p95 target": `< ${route.target} ms`,
          "p95 ok": r.p95 < route.target ? "yes" : "NO",
          "Dash / Express": ratio(r.perSecond, express?.[i]?.perSecond),
          "Dash / bare Bun.serve": percent(r.perSecond, bound.perSecond),
          "non-2xx": r.failed,
          "bytes/response": r.bodyBytes,
        };
      },
    );
    if (missing && !options.postgres) console.log(`Express baseline: skipped, ${missing}`);
    for (const r of [bound, big, ...(express ?? []), ...dash].filter((row) => row.failed > 0))
      console.log(`${r.name}: ${r.failed} responses were not 2xx or failed`);
    console.log(`server RSS right after start: ${startRss}; after the loads: ${await server.rss()}`);
    VALUES.set(`server RSS at start${on}`, Number.parseFloat(startRss));
    if (!options.postgres)
      console.log(`\nIssue 29 targets (same run)\n\n${issueTargets(dash, express, bound, big)}`);
  });
}

if (import.meta.main) {
  if (!wrkPath()) console.log("wrk is not installed: loading with in-process Bun fetch");
  await benchHttp({ postgres: process.argv.includes("--postgres") });
  process.exit(0);
}
