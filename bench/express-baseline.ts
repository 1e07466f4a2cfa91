/**
 * The PRD's own stack (Express + better-sqlite3 on the same schema, bench/express-baseline/) in its
 * own node process, for bench/http.ts's baseline row. Its dependencies are installed with npm into
 * that folder on first use (node_modules is git-ignored), so neither the project's lockfile nor
 * CI's `bun install` knows about them; better-sqlite3 is a native addon built for node, not Bun.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DIR = join(import.meta.dir, "express-baseline");

export interface ExpressBaseline {
  url: string;
  key: string;
}

/** Why the baseline cannot run here (no node or npm, or the install failed), or null when it can. */
export function expressMissing(): string | null {
  const node = Bun.which("node");
  const npm = Bun.which("npm");
  if (!node || !npm) return "node and npm are needed for the Express baseline";
  if (existsSync(join(DIR, "node_modules", "better-sqlite3", "package.json"))) return null;
  console.log("installing the Express baseline's dependencies (bench/express-baseline, npm)…");
  const lock = existsSync(join(DIR, "package-lock.json"));
  const args = [npm, lock ? "ci" : "install", "--no-audit", "--no-fund", "--loglevel=error"];
  const result = Bun.spawnSync(args, { cwd: DIR, stdout: "inherit", stderr: "inherit" });
  return result.exitCode === 0 ? null : `npm ${args[1]} in ${DIR} failed (exit ${result.exitCode})`;
}

/** Runs `bench` against a fresh baseline server on a temp database, then stops it. */
export async function withExpressBaseline<T>(bench: (server: ExpressBaseline) => Promise<T>): Promise<T> {
  const home = mkdtempSync(join(tmpdir(), "dash-express-"));
  const node = Bun.which("node") ?? "node";
  const proc = Bun.spawn([node, join(DIR, "server.mjs"), join(home, "baseline.db")], {
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const reader = proc.stdout.getReader();
    const { value } = await reader.read();
    const { port, key } = JSON.parse(new TextDecoder().decode(value).trim()) as { port: number; key: string };
    return await bench({ url: `http://127.0.0.1:${port}`, key });
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(home, { recursive: true, force: true });
  }
}
