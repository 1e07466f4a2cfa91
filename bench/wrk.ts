/**
 * Load from wrk (C, event-driven, one thread) when it is installed, else from the in-process
 * fetch loop of load.ts. On a 2-core machine the load generator shares the CPU with the server:
 * Bun's fetch in a loop costs about as much CPU per request as a fast server does to answer it, so
 * it caps what can be measured; wrk costs a fraction of that (`apt-get install wrk`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadResult, runLoad } from "./load.ts";
import { summarize } from "./stats.ts";

export interface HttpLoad {
  name: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Open keep-alive connections, each with one request in flight. */
  connections: number;
  durationMs: number;
  /** Load before measuring (not recorded): JIT, caches and the connection pool warm up. */
  warmupMs: number;
}

export const wrkPath = (): string | null => Bun.which("wrk");

/** The request of a load as wrk's Lua, plus a `done` that prints the figures as one JSON line. */
function script(load: HttpLoad): string {
  const lines = [`wrk.method = ${JSON.stringify(load.method ?? "GET")}`];
  for (const [name, value] of Object.entries(load.headers ?? {}))
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  if (load.body !== undefined) lines.push(`wrk.body = ${JSON.stringify(load.body)}`);
  lines.push(
    "done = function(summary, latency, requests)",
    "  local non2xx = summary.errors.status",
    "  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout",
    '  io.write(string.format(\'{"count":%d,"us":%d,"non2xx":%d,"failed":%d,"bytes":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d}\\n\',',
    "    summary.requests, summary.duration, non2xx, failed, summary.bytes,",
    "    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))",
    "end",
  );
  return `${lines.join("\n")}\n`;
}

interface WrkFigures {
  count: number;
  us: number;
  non2xx: number;
  failed: number;
  bytes: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

async function wrk(path: string, load: HttpLoad, ms: number, lua: string): Promise<WrkFigures> {
  const seconds = `${Math.max(1, Math.round(ms / 1000))}s`;
  const args = [
    path,
    "-t1",
    `-c${load.connections}`,
    `-d${seconds}`,
    "--timeout",
    "10s",
    "-s",
    lua,
    load.url,
  ];
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, err] = [await new Response(proc.stdout).text(), await new Response(proc.stderr).text()];
  if ((await proc.exited) !== 0) throw new Error(`wrk failed: ${err.trim() || out.trim()}`);
  const line = out.split("\n").find((l) => l.startsWith('{"count"'));
  if (!line) throw new Error(`wrk printed no figures: ${out.trim()}`);
  return JSON.parse(line) as WrkFigures;
}

/** Runs one load and summarises it like load.ts does (latencies in ms). */
export async function runHttpLoad(load: HttpLoad): Promise<LoadResult & { generator: string }> {
  const path = wrkPath();
  if (!path) {
    const init = { method: load.method ?? "GET", headers: load.headers, body: load.body };
    const result = await runLoad({
      name: load.name,
      url: load.url,
      init,
      workers: load.connections,
      maxRequests: 1_000_000,
      durationMs: load.durationMs,
      warmup: load.connections * 20,
    });
    return { ...result, generator: "bun fetch" };
  }
  const dir = mkdtempSync(join(tmpdir(), "dash-wrk-"));
  try {
    const lua = join(dir, "load.lua");
    writeFileSync(lua, script(load));
    await wrk(path, load, load.warmupMs, lua);
    const f = await wrk(path, load, load.durationMs, lua);
    const summary = summarize(load.name, [], f.us / 1000);
    const failures = new Map<number, number>();
    if (f.non2xx > 0) failures.set(-1, f.non2xx);
    if (f.failed > 0) failures.set(0, f.failed);
    return {
      ...summary,
      count: f.count,
      perSecond: f.count / (f.us / 1e6),
      p50: f.p50 / 1000,
      p95: f.p95 / 1000,
      p99: f.p99 / 1000,
      max: f.max / 1000,
      failures,
      failed: f.non2xx + f.failed,
      bodyBytes: f.count > 0 ? Math.round(f.bytes / f.count) : 0,
      generator: "wrk",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
