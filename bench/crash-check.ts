/**
 * What must hold after a `kill -9`: checked on a copy of the database exactly as the dead server
 * left it (so Dash's own recovery cannot paper over anything), and on the restarted server.
 */
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { groupAlive } from "../src/runtimes/process.ts";
import { HTTP_MICROS, INITIAL_BUDGET_USD, type Ledger, STEP_MICROS, STEPS } from "./crash-ledger.ts";

interface AgentRow {
  id: string;
  swarm_id: string;
  status: string;
  cost_micros: number;
  retry_count: number;
  pid: number | null;
  updated_at: number;
}

/** Opens a copy of `dbPath` with its WAL: SQLite recovers the copy as it would the original. */
function openImage(dbPath: string): { db: Database; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "dash-crash-image-"));
  for (const suffix of ["", "-wal", "-shm"])
    if (existsSync(dbPath + suffix)) copyFileSync(dbPath + suffix, join(dir, `dash.db${suffix}`));
  const db = new Database(join(dir, "dash.db"));
  const dispose = () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { db, dispose };
}

/** The database as the killed server left it: sound, every acknowledged write there, sums exact. */
export function checkImage(dbPath: string, ledger: Ledger): string[] {
  const { db, dispose } = openImage(dbPath);
  try {
    const problems: string[] = [];
    const integrity = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    if (integrity[0]?.integrity_check !== "ok")
      problems.push(`integrity_check: ${integrity.map((r) => r.integrity_check).join("; ")}`);
    if (db.query("PRAGMA foreign_key_check").all().length > 0) problems.push("foreign_key_check failed");

    const agents = new Map(
      db
        .query<AgentRow, []>("SELECT * FROM agents")
        .all()
        .map((row) => [row.id, row] as const),
    );
    const rowsOf = new Map<string, number>();
    const costOf = new Map<string, number>();
    for (const a of agents.values()) {
      rowsOf.set(a.swarm_id, (rowsOf.get(a.swarm_id) ?? 0) + 1);
      costOf.set(a.swarm_id, (costOf.get(a.swarm_id) ?? 0) + a.cost_micros);
    }
    // Every budget's spend is exactly the sum of its agents' costs, to the micro-dollar.
    const budgets = db
      .query<{ entity_type: string; entity_id: string; amount_allocated: number; amount_spent: number }, []>(
        "SELECT entity_type, entity_id, amount_allocated, amount_spent FROM budgets",
      )
      .all();
    for (const b of budgets) {
      const cost =
        b.entity_type === "swarm" ? (costOf.get(b.entity_id) ?? 0) : agents.get(b.entity_id)?.cost_micros;
      if (cost !== undefined && cost !== b.amount_spent)
        problems.push(
          `budget of ${b.entity_type} ${b.entity_id}: spent ${b.amount_spent} ≠ its agents' ${cost}`,
        );
    }
    const allocatedOf = new Map(budgets.map((b) => [b.entity_id, b.amount_allocated]));
    const swarmIds = new Set(
      db
        .query<{ id: string }, []>("SELECT id FROM swarms")
        .all()
        .map((r) => r.id),
    );
    for (const [id, swarm] of ledger.swarms) {
      if (!swarmIds.has(id)) {
        problems.push(`acknowledged swarm ${id} is missing`);
        continue;
      }
      const rows = rowsOf.get(id) ?? 0;
      if (rows < swarm.minAgents)
        problems.push(`swarm ${id}: ${rows} agents, acknowledged ${swarm.minAgents}`);
      const base = INITIAL_BUDGET_USD * 1e6 + swarm.allocated.ack;
      const allocated = allocatedOf.get(id) ?? -1;
      if (allocated < base || allocated > base + swarm.allocated.maybe)
        problems.push(
          `swarm ${id}: allocated ${allocated}, acknowledged ${base} (+${swarm.allocated.maybe} in flight)`,
        );
    }
    for (const [id, entry] of ledger.agents) {
      const row = agents.get(id);
      if (!row) {
        problems.push(`acknowledged agent ${id} is missing`);
        continue;
      }
      if (entry.killed && row.status !== "killed")
        problems.push(`agent ${id}: kill acknowledged, now ${row.status}`);
      // Cost = HTTP reports × $0.1 + stdout steps × $0.001: both parts can be read back apart.
      const http = Math.floor(row.cost_micros / HTTP_MICROS);
      const steps = (row.cost_micros % HTTP_MICROS) / STEP_MICROS;
      if (http < entry.http.ack || http > entry.http.ack + entry.http.maybe)
        problems.push(
          `agent ${id}: ${http} HTTP reports counted, ${entry.http.ack} acknowledged (+${entry.http.maybe} in flight)`,
        );
      const runs = row.retry_count + 1;
      if (!Number.isInteger(steps) || steps > STEPS * runs)
        problems.push(`agent ${id}: ${steps} stdout reports counted over ${runs} run(s) of ${STEPS}`);
      if (row.status === "completed" && steps < STEPS)
        problems.push(`agent ${id}: completed with ${steps} of its ${STEPS} stdout reports counted`);
    }
    return problems;
  } finally {
    dispose();
  }
}

/** Agents the database calls live without a live process group (a fresh `spawning` row may have none yet). */
function unbacked(dbPath: string, restartedAt: number): AgentRow[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db
      .query<AgentRow, []>("SELECT * FROM agents WHERE status IN ('spawning', 'running', 'paused')")
      .all()
      .filter((a) => !(a.pid !== null && groupAlive(a.pid)))
      .filter((a) => !(a.status === "spawning" && a.pid === null && a.updated_at >= restartedAt));
  } finally {
    db.close();
  }
}

/**
 * On the restarted server (recovery runs before it serves): no agent is `running` without a
 * process. A run that ends right then is settled at the scheduler's next poll (100 ms), so a
 * suspect only counts if it is still unsettled after a few seconds.
 */
export async function checkLive(dbPath: string, restartedAt: number, graceMs = 3_000): Promise<string[]> {
  let suspects = unbacked(dbPath, restartedAt);
  for (const end = Date.now() + graceMs; suspects.length > 0 && Date.now() < end; ) {
    await Bun.sleep(100);
    const still = new Set(unbacked(dbPath, restartedAt).map((a) => a.id));
    suspects = suspects.filter((a) => still.has(a.id));
  }
  return suspects.map((a) => `agent ${a.id} is ${a.status} without a live process (pid ${a.pid})`);
}
