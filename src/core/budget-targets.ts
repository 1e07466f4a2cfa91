import type { BudgetEntity, BudgetRecord, Currency } from "../domain/budget.ts";
import { BudgetInputSchema } from "../domain/budget.ts";
import { DashError, notFound } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import { newBudget } from "../safety/budget.ts";
import type { NewBudget, Store } from "../storage/store.ts";
import { allocatedEvent } from "./reports.ts";

/** The budget an allocation names: a swarm's, an agent's (under its swarm's) or a project's. */
export type BudgetTarget =
  | { swarmId: string }
  | { agentId: string }
  | { project: string; currency?: Currency };

export async function budgetEntity(store: Store, target: BudgetTarget): Promise<[BudgetEntity, string]> {
  if ("swarmId" in target) return ["swarm", target.swarmId];
  if ("project" in target) return ["project", target.project];
  if (!(await store.getAgent(target.agentId))) throw notFound("agent", target.agentId);
  return ["agent", target.agentId];
}

/**
 * A first allocation to an agent or a project makes its budget: an agent's hangs under its swarm's
 * (same currency); a project's is top level, in the currency asked (USD by default).
 */
export async function firstBudget(
  store: Store,
  [entityType, entityId]: [BudgetEntity, string],
  target: BudgetTarget,
  amount: number,
  now: number,
): Promise<{ budget: NewBudget; event: NewEvent }> {
  const swarmId = entityType === "agent" ? (await store.getAgent(entityId))?.swarmId : undefined;
  const parent = swarmId ? await store.getBudget("swarm", swarmId) : null;
  const currency = parent?.currency ?? ("currency" in target ? target.currency : undefined) ?? "USD";
  const budget = newBudget(
    entityType,
    entityId,
    BudgetInputSchema.parse({ amount, currency }),
    now,
    parent?.id ?? null,
  );
  const event = allocatedEvent({ ...budget, spentUnits: 0, alertLevel: 0 } as BudgetRecord, amount);
  return { budget, event };
}

/** The project budget a new swarm's budget hangs under: it must exist and be in the same currency. */
export async function projectBudgetId(store: Store, project: string, currency: Currency): Promise<string> {
  const budget = await store.getBudget("project", project);
  if (!budget) {
    throw new DashError(
      "VALIDATION_ERROR",
      `no project budget "${project}": allocate one first (POST /api/budget/allocate with project)`,
      { field: "budget.project" },
    );
  }
  if (budget.currency !== currency) {
    throw new DashError(
      "VALIDATION_ERROR",
      `project "${project}" budgets in ${budget.currency}, this swarm in ${currency}`,
      { field: "budget.currency" },
    );
  }
  return budget.id;
}
