import type { Database } from "bun:sqlite";
import type { MetricsSnapshot } from "./store.ts";

/** What /metrics shows of the database, in one read of each table it counts (see Store.metricsSnapshot). */
export function metricsSnapshot(db: Database): MetricsSnapshot {
  const byStatus = (table: "agents" | "swarms") =>
    db
      .query<{ status: string; n: number }, []>(`SELECT status, COUNT(*) AS n FROM ${table} GROUP BY status`)
      .all();
  return {
    agents: byStatus("agents"),
    swarms: byStatus("swarms"),
    events: db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM events").get()?.n ?? 0,
    spend: db
      .query<MetricsSnapshot["spend"][number], []>(
        `SELECT s.id, s.name, b.currency, b.amount_spent AS spent, b.amount_allocated AS allocated
         FROM swarms s JOIN budgets b ON b.entity_type = 'swarm' AND b.entity_id = s.id WHERE s.status != 'destroyed'`,
      )
      .all(),
    calls: db
      .query<MetricsSnapshot["calls"][number], []>(
        `SELECT model, status, COUNT(*) AS n, SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion,
           SUM(cost_micros) AS cost FROM model_calls GROUP BY model, status ORDER BY model, status`,
      )
      .all(),
  };
}
