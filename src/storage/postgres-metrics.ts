import { type Pg, row, rows } from "./postgres-db.ts";
import type { MetricsSnapshot } from "./store.ts";

/** sqlite-metrics.ts for PostgreSQL: what /metrics shows of the database (Store.metricsSnapshot). */
export async function metricsSnapshot(pg: Pg): Promise<MetricsSnapshot> {
  const byStatus = async (table: "agents" | "swarms") =>
    (await rows(pg, `SELECT status, COUNT(*) AS n FROM ${table} GROUP BY status ORDER BY status`)).map(
      (r) => ({
        status: String(r.status),
        n: Number(r.n),
      }),
    );
  const spend = await rows(
    pg,
    `SELECT s.id, s.name, b.currency, b.amount_spent AS spent, b.amount_allocated AS allocated
     FROM swarms s JOIN budgets b ON b.entity_type = 'swarm' AND b.entity_id = s.id
     WHERE s.status != 'destroyed' ORDER BY s.id`,
  );
  const calls = await rows(
    pg,
    `SELECT model, status, COUNT(*) AS n, SUM(prompt_tokens)::bigint AS prompt,
       SUM(completion_tokens)::bigint AS completion, SUM(cost_micros)::bigint AS cost
     FROM model_calls GROUP BY model, status ORDER BY model COLLATE "C", status COLLATE "C"`,
  );
  return {
    agents: await byStatus("agents"),
    swarms: await byStatus("swarms"),
    events: Number((await row(pg, "SELECT COUNT(*) AS n FROM events"))?.n ?? 0),
    spend: spend.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      currency: r.currency === "tokens" ? "tokens" : "USD",
      spent: Number(r.spent),
      allocated: Number(r.allocated),
    })),
    calls: calls.map((r) => ({
      model: String(r.model),
      status: String(r.status),
      n: Number(r.n),
      prompt: Number(r.prompt),
      completion: Number(r.completion),
      cost: Number(r.cost),
    })),
  };
}
