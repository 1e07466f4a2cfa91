import type { BudgetList } from "./store.ts";

/** What both dashboards say of all budgets at once: the total, and the swarms' burn and projection. */
export interface BudgetSummary {
  total: BudgetList["totals"][number] | undefined;
  /** The swarms' budgets, the biggest spender first. */
  swarms: BudgetList["budgets"];
  /** Per minute, summed over the swarms that burn. */
  burn: number;
  projected: number;
  /** The soonest a swarm runs out at its burn rate; Infinity when none burns. */
  minutesLeft: number;
}

export function budgetSummary(budgets: BudgetList | null): BudgetSummary {
  const total = budgets?.totals.find((t) => t.currency === "USD") ?? budgets?.totals[0];
  const swarms = (budgets?.budgets ?? [])
    .filter((b) => b.entityType === "swarm")
    .sort((a, b) => b.spent - a.spent);
  return {
    total,
    swarms,
    burn: swarms.reduce((sum, b) => sum + (b.burnRate ?? 0), 0),
    projected: swarms.reduce((sum, b) => sum + (b.projected ?? b.spent), 0),
    minutesLeft: Math.min(...swarms.map((b) => b.minutesLeft ?? Number.POSITIVE_INFINITY)),
  };
}
