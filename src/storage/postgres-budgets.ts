import type { AgentRecord } from "../domain/agent.ts";
import type { BudgetRecord } from "../domain/budget.ts";
import type { ChainBudget } from "../safety/budget.ts";
import { type Pg, row, rows } from "./postgres-db.ts";
import { budgetFromRow } from "./sqlite-budget-rows.ts";

/**
 * sqlite-budgets.ts for PostgreSQL: the chain of budgets above an agent, locked, and what the live
 * agents and open model calls under each hold reserved (sums of their rows, never a stored total).
 */
const LIVE = "('spawning', 'running', 'paused')";

const CALLS = "SELECT COALESCE(SUM(reserved_units), 0)::bigint FROM model_calls WHERE status = 'open'";
const PROJECT_SWARMS = `SELECT entity_id FROM budgets WHERE entity_type = 'swarm'
  AND parent_budget_id = (SELECT id FROM budgets WHERE entity_type = 'project' AND entity_id = $1)`;
const STEPS = "SELECT COALESCE(SUM(reserved_units), 0)::bigint FROM agents";

const RESERVED: Record<string, string> = {
  agent: `SELECT (${STEPS} WHERE id = $1 AND status IN ${LIVE}) AS steps, (${CALLS} AND agent_id = $1) AS calls`,
  swarm: `SELECT (${STEPS} WHERE swarm_id = $1 AND status IN ${LIVE}) AS steps, (${CALLS} AND swarm_id = $1) AS calls`,
  project: `SELECT (${STEPS} WHERE swarm_id IN (${PROJECT_SWARMS}) AND status IN ${LIVE}) AS steps,
      (${CALLS} AND swarm_id IN (${PROJECT_SWARMS})) AS calls`,
};

/** Units held under a budget: by live agents' steps and by open calls. */
export async function holdsIn(pg: Pg, budget: BudgetRecord): Promise<{ steps: number; calls: number }> {
  const text = RESERVED[budget.entityType];
  if (!text) return { steps: 0, calls: 0 };
  const found = await row(pg, text, [budget.entityId]);
  return { steps: Number(found?.steps ?? 0), calls: Number(found?.calls ?? 0) };
}

export async function reservedIn(pg: Pg, budget: BudgetRecord): Promise<number> {
  const { steps, calls } = await holdsIn(pg, budget);
  return steps + calls;
}

// The agent's own budget if it has one, else its swarm's, then each parent (at most 10 levels),
// locked in id order. A row that had to wait for its lock is read as the writer before us left it.
const LOCK_CHAIN = `WITH RECURSIVE chain AS (
    (SELECT id, parent_budget_id, 0 AS depth FROM budgets
      WHERE (entity_type = 'agent' AND entity_id = $1) OR (entity_type = 'swarm' AND entity_id = $2)
      ORDER BY entity_type = 'swarm' LIMIT 1)
    UNION ALL
    SELECT b.id, b.parent_budget_id, c.depth + 1 FROM budgets b JOIN chain c ON b.id = c.parent_budget_id
      WHERE c.depth < 9)
  SELECT b.*, c.depth AS chain_depth FROM budgets b JOIN chain c ON c.id = b.id
  ORDER BY b.id FOR NO KEY UPDATE OF b`;

/** The holds of several budgets in one statement: `(steps, calls)` per budget, in order. */
async function holdsOfAll(tx: Pg, budgets: BudgetRecord[]): Promise<{ steps: number; calls: number }[]> {
  const parts = budgets.map((b, i) => {
    const one = (RESERVED[b.entityType] ?? "SELECT 0 AS steps, 0 AS calls").replaceAll("$1", `$${i + 1}`);
    return `SELECT ${i} AS i, h.* FROM (${one}) h`;
  });
  const found = await rows(
    tx,
    parts.join(" UNION ALL "),
    budgets.map((b) => b.entityId),
  );
  const byIndex = new Map(
    found.map((r) => [Number(r.i), { steps: Number(r.steps), calls: Number(r.calls) }]),
  );
  return budgets.map((_, i) => byIndex.get(i) ?? { steps: 0, calls: 0 });
}

/**
 * The chain above `agent`, each budget locked until COMMIT. Locks are taken in id order, the one
 * order every writer uses, so two writers on overlapping chains wait instead of deadlocking; the
 * holds are summed after the locks, in a new statement, so they include what the writer that held
 * the lock before us committed. With `withHolds` false the sums are 0 (settling does not read them).
 */
export async function lockBudgetChain(tx: Pg, agent: AgentRecord, withHolds = true): Promise<ChainBudget[]> {
  const locked = await rows(tx, LOCK_CHAIN, [agent.id, agent.swarmId]);
  const budgets = locked.sort((a, b) => Number(a.chain_depth) - Number(b.chain_depth)).map(budgetFromRow);
  if (budgets.length === 0) return [];
  const holds = withHolds ? await holdsOfAll(tx, budgets) : budgets.map(() => ({ steps: 0, calls: 0 }));
  return budgets.map((budget, i) => {
    const { steps, calls } = holds[i] ?? { steps: 0, calls: 0 };
    return { budget, reserved: steps + calls, inFlight: calls };
  });
}

/** How deep `parentId` is below its root (a root is 0), and how many children it has. */
export async function family(pg: Pg, parentId: string): Promise<{ depth: number; children: number }> {
  const found = await row(
    pg,
    `WITH RECURSIVE up(id, depth) AS (SELECT $1::text, 0 UNION ALL
       SELECT a.parent_id, up.depth + 1 FROM agents a JOIN up ON a.id = up.id
       WHERE a.parent_id IS NOT NULL AND up.depth < 100)
     SELECT (SELECT MAX(depth) FROM up) AS depth, (SELECT COUNT(*) FROM agents WHERE parent_id = $1) AS children`,
    [parentId],
  );
  return { depth: Number(found?.depth ?? 0), children: Number(found?.children ?? 0) };
}
