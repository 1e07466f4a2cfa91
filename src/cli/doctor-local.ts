import { existsSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { SqliteStore } from "../storage/sqlite.ts";
import { openDatabase } from "../storage/sqlite-db.ts";
import type { Store } from "../storage/store.ts";
import { type Check, type CheckStatus, type DoctorContext, fail, ok, warn } from "./doctor-checks.ts";
import { postgresReachable } from "./doctor-postgres.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Under 100 MiB the database and agents' logs may stop being written; under 1 GiB it is close. */
export function diskVerdict(freeBytes: number): CheckStatus {
  if (freeBytes < 100 * MiB) return "fail";
  if (freeBytes < GiB) return "warn";
  return "ok";
}

export function bytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  return `${Math.round(n / MiB)} MiB`;
}

/** DASH_HOME itself, or the nearest folder above it that exists (`dash serve` makes the rest). */
function nearestExisting(path: string): string {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function diskCheck(ctx: DoctorContext): Check {
  return {
    name: "disk",
    essential: true,
    async run() {
      const dir = nearestExisting(ctx.home);
      const stats = statfsSync(dir);
      const free = stats.bavail * stats.bsize;
      const detail = `${bytes(free)} free in ${dir}`;
      const verdict = diskVerdict(free);
      if (verdict === "ok") return ok(detail);
      const fix =
        "free some space there: the database, agents' logs and worktrees live in DASH_HOME (or set DASH_HOME to a roomier disk)";
      return verdict === "warn" ? warn(`only ${detail}`, fix) : fail(`only ${detail}`, fix);
    },
  };
}

/** Opens the database as every Dash process does, without migrating it: doctor only looks. */
function openStore(path: string): Store {
  return new SqliteStore(openDatabase(path));
}

export function databaseCheck(ctx: DoctorContext): Check {
  return {
    name: "database",
    essential: true,
    async run() {
      if (!ctx.config) return warn("not checked: the configuration does not load");
      if (ctx.config.database.url) return postgresReachable(ctx.config, ctx.config.database.url);
      const path = ctx.config.databasePath;
      if (!existsSync(path)) {
        return warn(`${path} does not exist yet`, "`dash serve` creates it on its first start");
      }
      const fix =
        "stop the server, keep a copy of the file, then restore a backup (or recover what SQLite can: `sqlite3 dash.db .recover`)";
      let store: Store;
      try {
        store = openStore(path);
      } catch (error) {
        return fail(`${path} cannot be opened: ${(error as Error).message}`, fix);
      }
      try {
        const problems = await store.checkIntegrity();
        if (problems.length === 0) return ok(`${path}: integrity ok`);
        const shown = problems.slice(0, 3).join("; ").replaceAll("\n", " ");
        return fail(`${path} is damaged (${problems.length} problem(s)): ${shown}`, fix);
      } finally {
        store.close();
      }
    },
  };
}
