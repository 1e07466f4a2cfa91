/**
 * The HTTP API end to end: the real `dash serve` in its own process (so the load generator does
 * not share its CPU and event loop), a database holding 1,000 agents, and concurrent keep-alive
 * clients on loopback. Next to each figure: its PRD target for p95.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type LoadOptions, type LoadResult, runLoad } from "./load.ts";
import { printSummaries } from "./stats.ts";

const WORKERS = 32;
/** Per route; four routes plus start-up and seeding keep the whole bench well under a minute. */
const DURATION_MS = 5_000;
const MAX_REQUESTS = 100_000;
const WARMUP = 500;
const MAIN = join(import.meta.dir, "..", "src", "main.ts");

interface Credentials {
  url: string;
  key: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The first start writes `$DASH_HOME/credentials` after the server listens; with `--port 0` its
 * url is the only place the chosen port shows up (besides stdout). Then /health must say ok.
 */
async function waitReady(server: Subprocess, home: string, timeoutMs = 15_000): Promise<Credentials> {
  const deadline = performance.now() + timeoutMs;
  const path = join(home, "credentials");
  while (performance.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`dash serve exited with code ${server.exitCode}`);
    if (existsSync(path)) {
      try {
        const credentials = JSON.parse(readFileSync(path, "utf8")) as Credentials;
        const health = await fetch(`${credentials.url}/health`);
        if (health.ok) return credentials;
      } catch {
        // Half-written file or not answering yet: try again.
      }
    }
    await sleep(50);
  }
  throw new Error(`dash serve did not answer /health within ${timeoutMs} ms`);
}

/** 10 swarms × 100 agents (the per-swarm maximum), then checks the database holds exactly 1,000. */
async function seed({ url, key }: Credentials): Promise<void> {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  for (let i = 0; i < 10; i++) {
    const body = JSON.stringify({ name: `seed-${i}`, task: "bench seed", initialAgents: 100 });
    const response = await fetch(`${url}/api/swarm`, { method: "POST", headers, body });
    if (response.status !== 201)
      throw new Error(`seeding swarm ${i}: ${response.status} ${await response.text()}`);
  }
  const page = await fetch(`${url}/api/agents?limit=1000`, { headers });
  const { agents } = (await page.json()) as { agents: unknown[] };
  if (agents.length !== 1000) throw new Error(`expected 1000 agents after seeding, found ${agents.length}`);
}

/** The server's resident memory: now and peak from /proc on Linux, else its own /metrics gauge. */
async function serverRss(pid: number, { url, key }: Credentials): Promise<string> {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) {
    const text = readFileSync(status, "utf8");
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN);
    return `${mib(kb("VmRSS") * 1024)} (peak ${mib(kb("VmHWM") * 1024)})`;
  }
  const metrics = await (
    await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${key}` } })
  ).text();
  const bytes = /^dash_process_resident_memory_bytes (\d+)/m.exec(metrics)?.[1];
  return bytes ? mib(Number(bytes)) : "unknown";
}

/** SIGTERM is the graceful path `dash serve` implements; SIGKILL only if it hangs. */
async function stopServer(server: Subprocess): Promise<string> {
  const started = performance.now();
  server.kill("SIGTERM");
  const exited = await Promise.race([server.exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!exited) {
    server.kill("SIGKILL");
    await server.exited;
    return "did not stop within 5 s of SIGTERM; killed";
  }
  return `stopped ${Math.round(performance.now() - started)} ms after SIGTERM, exit code ${server.exitCode}`;
}

export async function benchHttp(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "dash-bench-http-"));
  // Rate limits would answer 429 within a second; info logs would write one line per request.
  writeFileSync(
    join(home, "config.yaml"),
    "limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }\nlog: { level: warn }\n",
  );
  // Inherited DASH_* variables (a developer's DASH_PORT or DASH_DB_PATH) must not leak in.
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("DASH_")) env[name] = value;
  }
  let server: Subprocess | undefined;
  // Ctrl-C or a kill skips `finally`: without this the server would outlive the bench (nothing
  // ties a child to its parent) and the temp DASH_HOME would stay behind.
  const interrupted = (signal: NodeJS.Signals) => {
    server?.kill("SIGKILL");
    rmSync(home, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    server = Bun.spawn([process.execPath, MAIN, "serve", "--port", "0", "--host", "127.0.0.1"], {
      env: { ...env, DASH_HOME: home, DASH_RATE_LIMIT: "100000000" },
      // stdout carries the admin key, which has no business in bench output; warnings do.
      stdout: "ignore",
      stderr: "inherit",
    });
    const credentials = await waitReady(server, home);
    await seed(credentials);
    const { url, key } = credentials;
    const read = { headers: { Authorization: `Bearer ${key}` } };
    const base = { workers: WORKERS, maxRequests: MAX_REQUESTS, durationMs: DURATION_MS, warmup: WARMUP };
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
          body: JSON.stringify({ name: "bench", task: "t", initialAgents: 1 }),
        },
        target: 100,
      },
    ];
    const rows: (LoadResult & { target: number })[] = [];
    for (const route of routes)
      rows.push({ ...(await runLoad({ ...base, ...route })), target: route.target });
    printSummaries(
      `HTTP API (dash serve in its own process, ${WORKERS} concurrent keep-alive clients, ≤ ${DURATION_MS / 1000} s per route after ${WARMUP} warm-up requests)`,
      rows,
      (r) => ({
        "p95 target": `< ${r.target} ms`,
        "p95 ok": r.p95 < r.target ? "yes" : "NO",
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
    console.log(`server RSS: ${await serverRss(server.pid, credentials)}`);
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    if (server) console.log(`server ${await stopServer(server)}`);
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchHttp();
