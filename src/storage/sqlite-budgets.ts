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

// What agents hold for their next step, plus what open gateway calls hold (a call's reservation
// is released by the update that closes it, so nothing here is ever a stored total).
const RESERVED: Record<string, string> = {
  agent: `SELECT COALESCE(SUM(reserved_units), 0)
      + (${CALLS} AND agent_id = ?1) AS n FROM agents WHERE id = ?1 AND status IN ${LIVE}`,
  swarm: `SELECT COALESCE(SUM(reserved_units), 0)
      + (${CALLS} AND swarm_id = ?1) AS n FROM agents WHERE swarm_id = ?1 AND status IN ${LIVE}`,
  project: `SELECT COALESCE(SUM(a.reserved_units), 0)
      + (${CALLS} AND swarm_id IN (SELECT entity_id FROM budgets WHERE entity_type = 'swarm'
           AND parent_budget_id = (SELECT id FROM budgets WHERE entity_type = 'project' AND entity_id = ?1))) AS n
    FROM agents a
    JOIN budgets b ON b.entity_type = 'swarm' AND b.entity_id = a.swarm_id
    WHERE b.parent_budget_id = (SELECT id FROM budgets WHERE entity_type = 'project' AND entity_id = ?1)
      AND a.status IN ${LIVE}`,
};

export function reservedIn(db: Database, budget: BudgetRecord): number {
  const sql = RESERVED[budget.entityType];
  if (!sql) return 0;
  return db.query<{ n: number }, [string]>(sql).get(budget.entityId)?.n ?? 0;
}

function budgetById(db: Database, id: string): BudgetRecord | null {
  const row = db.query<Row, [string]>("SELECT * FROM budgets WHERE id = ?").get(id);
  return row ? budgetFromRow(row) : null;
}

/** The agent's own budget (if it has one), its swarm's, then each parent up to the project. */
export function budgetChain(db: Database, agent: AgentRecord): ChainBudget[] {
  const first = db
    .query<Row, SQLQueryBindings[]>(
      `SELECT * FROM budgets WHERE (entity_type = 'agent' AND entity_id = ?) OR (entity_type = 'swarm' AND entity_id = ?)
       ORDER BY entity_type = 'swarm' LIMIT 1`,
    )
    .get(agent.id, agent.swarmId);
  const chain: ChainBudget[] = [];
  let budget = first ? budgetFromRow(first) : null;
  while (budget && chain.length < 10) {
    chain.push({ budget, reserved: reservedIn(db, budget) });
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
