/**
 * The real `dash serve` in its own process for a benchmark (so the load generator does not share
 * its CPU and event loop), in a temp DASH_HOME that is removed afterwards, also on Ctrl-C.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BenchServer {
  url: string;
  key: string;
  pid: number;
  /** Resident memory now and at its peak, e.g. "80.1 MiB (peak 95.3 MiB)". */
  rss: () => Promise<string>;
}

/**
 * The first start writes `$DASH_HOME/credentials` after the server listens; with `--port 0` its
 * url is the only place the chosen port shows up (besides stdout). Then /health must say ok.
 */
async function waitReady(server: Subprocess, home: string, timeoutMs = 15_000) {
  const deadline = performance.now() + timeoutMs;
  const path = join(home, "credentials");
  while (performance.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`dash serve exited with code ${server.exitCode}`);
    if (existsSync(path)) {
      try {
        const credentials = JSON.parse(readFileSync(path, "utf8")) as { url: string; key: string };
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

/** The server's resident memory: now and peak from /proc on Linux, else its own /metrics gauge. */
async function serverRss(pid: number, url: string, key: string): Promise<string> {
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

/** Runs `bench` against a fresh server started with `configYaml`, then stops it and cleans up. */
export async function withBenchServer(
  configYaml: string,
  bench: (server: BenchServer) => Promise<void>,
  /** Flags for bun before the script (`--cpu-prof`, …): bench/profile.ts profiles the server. */
  bunFlags: string[] = [],
  /**
   * The entry to run: another checkout's src/main.ts (to profile it as it was), or a compiled
   * `dash` binary (run as it is, without bun and its flags: what an operator runs).
   */
  main = MAIN,
): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "dash-bench-"));
  writeFileSync(join(home, "config.yaml"), configYaml);
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
    const entry = main.endsWith(".ts") ? [process.execPath, ...bunFlags, main] : [main];
    server = Bun.spawn([...entry, "serve", "--port", "0", "--host", "127.0.0.1"], {
      env: { ...env, DASH_HOME: home },
      // stdout carries the admin key, which has no business in bench output; warnings do.
      stdout: "ignore",
      stderr: "inherit",
    });
    const { url, key } = await waitReady(server, home);
    const pid = server.pid;
    await bench({ url, key, pid, rss: () => serverRss(pid, url, key) });
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    if (server) console.log(`server ${await stopServer(server)}`);
    rmSync(home, { recursive: true, force: true });
  }
}
