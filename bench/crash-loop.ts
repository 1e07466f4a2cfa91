/**
 * Crash durability (PRD §3 story 3, issue 10): run `dash serve` under concurrent load, `kill -9`
 * it at a random moment (now and then while it is still starting and recovering), check the
 * database it left, restart, check again, repeat. Used by tests/stress/crash.test.ts (100
 * iterations in CI) and `bun run stress:crash --iterations N`.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { groupAlive } from "../src/runtimes/process.ts";
import { checkImage, checkLive } from "./crash-check.ts";
import { Ledger, randomOperation } from "./crash-ledger.ts";
import { startDash } from "./dash-server.ts";
import { type Summary, summarize } from "./stats.ts";

export interface CrashLoopOptions {
  /** The argv that runs dash: the compiled binary, or [bun, src/main.ts]. */
  dash: string[];
  iterations: number;
  seed?: number;
  workers?: number;
  /** Called after each iteration, for progress. */
  onIteration?: (i: number, problems: string[]) => void;
}

export interface CrashLoopResult {
  seed: number;
  iterations: number;
  seconds: number;
  /** Kills that landed before the server was serving (during start-up and recovery). */
  killedStarting: number;
  counts: Ledger["counts"];
  refusals: Record<string, number>;
  swarms: number;
  agents: number;
  /** Where the time went (the rest is restarts). */
  phaseSeconds: { load: number; checkLive: number; checkImage: number };
  /** From spawn to serving, recovery included. */
  restart: Summary;
  problems: string[];
}

// Info logs carry the "dash serving" line with the URL; port 0 gives a new one at every start.
const CONFIG = "limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }\n";

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const ledger = new Ledger(seed);
  const home = mkdtempSync(join(tmpdir(), "dash-crash-"));
  writeFileSync(join(home, "config.yaml"), CONFIG);
  const dbPath = join(home, "dash.db");
  const problems: string[] = [];
  const seen = new Set<string>();
  const restarts: number[] = [];
  const phases = { live: 0, load: 0, image: 0 };
  let killedStarting = 0;
  let key = "";
  const began = performance.now();
  try {
    for (let i = 0; i < options.iterations; i++) {
      const found: string[] = [];
      const spawnedAt = Date.now();
      const t0 = performance.now();
      const server = startDash(options.dash, home, { DASH_MAX_CONCURRENCY: "16" });
      // One kill in ten lands during start-up and recovery, before the server answers.
      const early = i > 0 && ledger.random() < 0.1;
      const url = early
        ? await Promise.race([server.ready, Bun.sleep(ledger.int(300)).then(() => null)])
        : await server.ready;
      if (url) {
        restarts.push(performance.now() - t0);
        key ||= JSON.parse(readFileSync(join(home, "credentials"), "utf8")).key;
        const t1 = performance.now();
        found.push(...(await checkLive(dbPath, spawnedAt)));
        phases.live += performance.now() - t1;
        const t2 = performance.now();
        await load(ledger, url, key, options.workers ?? 8, server.proc);
        phases.load += performance.now() - t2;
      } else killedStarting++;
      server.proc.kill("SIGKILL");
      await server.proc.exited;
      const t3 = performance.now();
      found.push(...checkImage(dbPath, ledger));
      phases.image += performance.now() - t3;
      // A broken invariant stays broken: name it once, at the iteration that first saw it.
      const fresh = found.filter((p) => !seen.has(p));
      for (const p of fresh) seen.add(p);
      problems.push(...fresh.map((p) => `iteration ${i + 1}: ${p}`));
      options.onIteration?.(i + 1, found);
    }
    problems.push(...(await finish(options.dash, home, ledger)));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  return {
    seed,
    iterations: options.iterations,
    seconds: (performance.now() - began) / 1000,
    killedStarting,
    counts: ledger.counts,
    refusals: Object.fromEntries(ledger.refusals),
    swarms: ledger.swarms.size,
    agents: ledger.agents.size,
    restart: summarize("restart", restarts, performance.now() - began),
    phaseSeconds: {
      load: phases.load / 1000,
      checkLive: phases.live / 1000,
      checkImage: phases.image / 1000,
    },
    problems,
  };
}

/** Workers send operations until the kill, which lands 50–800 ms in: mid-request for most of them. */
async function load(ledger: Ledger, url: string, key: string, workers: number, proc: Bun.Subprocess) {
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const send = async (method: string, path: string, body?: unknown) => {
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    const res = await fetch(url + path, { ...init, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  let dead = false;
  const kill = Bun.sleep(50 + ledger.int(750)).then(() => {
    dead = true;
    proc.kill("SIGKILL");
  });
  const worker = async () => {
    while (!dead) await randomOperation(ledger, send);
  };
  await Promise.all([kill, ...Array.from({ length: workers }, worker)]);
}

/** The last start: destroy every swarm, stop gracefully, and leave no agent process behind. */
async function finish(dash: string[], home: string, ledger: Ledger): Promise<string[]> {
  const server = startDash(dash, home, { DASH_MAX_CONCURRENCY: "16" });
  const url = await server.ready;
  if (!url) return ["the server did not start after the last kill"];
  const { key } = JSON.parse(readFileSync(join(home, "credentials"), "utf8"));
  const problems = await checkLive(join(home, "dash.db"), Date.now());
  for (const id of ledger.swarms.keys())
    await fetch(`${url}/api/swarm/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
  server.proc.kill("SIGTERM");
  if ((await server.proc.exited) !== 0) problems.push(`the last server exited with ${server.proc.exitCode}`);
  const db = new Database(join(home, "dash.db"), { readonly: true });
  const pids = db.query<{ pid: number }, []>("SELECT pid FROM agents WHERE pid IS NOT NULL").all();
  db.close();
  // Destroyed agents get SIGTERM and a grace period; give their groups a moment to go.
  for (let i = 0; i < 100 && pids.some((r) => groupAlive(r.pid)); i++) await Bun.sleep(50);
  const left = pids.filter((r) => groupAlive(r.pid));
  if (left.length > 0) problems.push(`${left.length} agent process groups outlived destroy`);
  return problems;
}
