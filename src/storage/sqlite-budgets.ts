import type { Database, SQLQueryBindings } from "bun:sqlite";
import type { AgentRecord } from "../domain/agent.ts";
import type { BudgetRecord } from "../domain/budget.ts";
import type { ChainBudget } from "../safety/budget.ts";
import { budgetFromRow } from "./sqlite-budget-rows.ts";
import type { Row } from "./sqlite-rows.ts";

/**
 * Budget reads the write path needs inside its transactions: the chain of budgets above an agent
 * and what the live agents and open model calls under each hold reserved (summed from
 * agents.reserved_units and model_calls.reserved_units, so a finished agent or a closed call
 * releases its reservation with the write that finishes it).
 */
const LIVE = "('spawning', 'running', 'paused')";

const CALLS = "SELECT COALESCE(SUM(reserved_units), 0) FROM model_calls WHERE status = 'open'";
const PROJECT_SWARMS = `SELECT entity_id FROM budgets WHERE entity_type = 'swarm'
  AND parent_budget_id = (SELECT id FROM budgets WHERE entity_type = 'project' AND entity_id = ?1)`;

// What live agents hold for their next step, and what open gateway calls hold: two sums, as a
// step is held for an agent's life while a call frees its hold when it settles. Nothing here is
// a stored total: a finished agent or a closed call releases with the write that finishes it.
const RESERVED: Record<string, string> = {
  agent: `SELECT (SELECT COALESCE(SUM(reserved_units), 0) FROM agents WHERE id = ?1 AND status IN ${LIVE}) AS steps,
      (${CALLS} AND agent_id = ?1) AS calls`,
  swarm: `SELECT (SELECT COALESCE(SUM(reserved_units), 0) FROM agents WHERE swarm_id = ?1 AND status IN ${LIVE}) AS steps,
      (${CALLS} AND swarm_id = ?1) AS calls`,
  project: `SELECT (SELECT COALESCE(SUM(reserved_units), 0) FROM agents
        WHERE swarm_id IN (${PROJECT_SWARMS}) AND status IN ${LIVE}) AS steps,
      (${CALLS} AND swarm_id IN (${PROJECT_SWARMS})) AS calls`,
};

/** Units held under a budget: by live agents' steps and by open calls. */
export function holdsIn(db: Database, budget: BudgetRecord): { steps: number; calls: number } {
  const sql = RESERVED[budget.entityType];
  if (!sql) return { steps: 0, calls: 0 };
  const row = db.query<{ steps: number; calls: number }, [string]>(sql).get(budget.entityId);
  return { steps: row?.steps ?? 0, calls: row?.calls ?? 0 };
}

export function reservedIn(db: Database, budget: BudgetRecord): number {
  const { steps, calls } = holdsIn(db, budget);
  return steps + calls;
}

function budgetById(db: Database, id: string): BudgetRecord | null {
  const row = db.query<Row, [string]>("SELECT * FROM budgets WHERE id = ?").get(id);
  return row ? budgetFromRow(row) : null;
}

/**
 * The agent's own budget (if it has one), its swarm's, then each parent up to the project; with
 * `withHolds` false the reserved sums are left at 0 (settling a call does not look at them).
 */
export function budgetChain(db: Database, agent: AgentRecord, withHolds = true): ChainBudget[] {
  const first = db
    .query<Row, SQLQueryBindings[]>(
      `SELECT * FROM budgets WHERE (entity_type = 'agent' AND entity_id = ?) OR (entity_type = 'swarm' AND entity_id = ?)
       ORDER BY entity_type = 'swarm' LIMIT 1`,
    )
    .get(agent.id, agent.swarmId);
  const chain: ChainBudget[] = [];
  let budget = first ? budgetFromRow(first) : null;
  while (budget && chain.length < 10) {
    // Spending needs only the budgets; admission also needs what is held under each.
    const { steps, calls } = withHolds ? holdsIn(db, budget) : { steps: 0, calls: 0 };
    chain.push({ budget, reserved: steps + calls, inFlight: calls });
    budget = budget.parentBudgetId ? budgetById(db, budget.parentBudgetId) : null;
  }
  return chain;
}

/** How deep `parentId` is below its root (a root is 0), and how many children it has. */
export function family(db: Database, parentId: string): { depth: number; children: number } {
  const depth =
    db
      .query<{ n: number }, [string]>(
        `WITH RECURSIVE up(id, depth) AS (SELECT ?, 0 UNION ALL
           SELECT a.parent_id, up.depth + 1 FROM agents a JOIN up ON a.id = up.id WHERE a.parent_id IS NOT NULL AND up.depth < 100)
         SELECT MAX(depth) AS n FROM up`,
      )
      .get(parentId)?.n ?? 0;
  const children =
    db.query<{ n: number }, [string]>("SELECT COUNT(*) AS n FROM agents WHERE parent_id = ?").get(parentId)
      ?.n ?? 0;
  return { depth, children };
}
