import { z } from "zod";
import { BudgetSchema, toBudgetResponse } from "../../domain/budget.ts";
import { notFound } from "../../domain/errors.ts";
import { fromUnits } from "../../domain/money.ts";
import { BudgetListSchema } from "../../domain/wire.ts";
import { defineRoute } from "../route.ts";
import { ExpectedVersionSchema } from "../schemas.ts";

const AllocateBody = z.strictObject({
  swarmId: z.ulid(),
  amount: z.number().positive().max(1_000_000),
  expectedVersion: ExpectedVersionSchema,
});

export const budgetRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/budget",
    permission: "read",
    summary: "Budgets (all, or one swarm's) with totals per currency",
    query: z.strictObject({ swarmId: z.ulid().optional() }),
    response: BudgetListSchema,
    async handler({ query, deps }) {
      const budgets = await deps.store.listBudgets(
        query.swarmId ? { entityType: "swarm", entityId: query.swarmId } : {},
      );
      if (query.swarmId && budgets.length === 0) throw notFound("swarm", query.swarmId);
      const totals = (["USD", "tokens"] as const).flatMap((currency) => {
        // Only top-level budgets, so money spent is counted once (children also add to parents).
        const top = budgets.filter((b) => b.currency === currency && b.parentBudgetId === null);
        if (top.length === 0) return [];
        const allocated = top.reduce((n, b) => n + b.allocatedUnits, 0);
        const spent = top.reduce((n, b) => n + b.spentUnits, 0);
        return [
          {
            currency,
            allocated: fromUnits(allocated, currency),
            spent: fromUnits(spent, currency),
            remaining: fromUnits(allocated - spent, currency),
          },
        ];
      });
      return { budgets: budgets.map(toBudgetResponse), totals };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/budget/allocate",
    permission: "write",
    summary: "Add money (or tokens) to a swarm's budget",
    body: AllocateBody,
    response: BudgetSchema,
    async handler({ body, deps }) {
      return toBudgetResponse(
        await deps.lifecycle.allocateBudget(body.swarmId, body.amount, body.expectedVersion),
      );
    },
  }),
];
