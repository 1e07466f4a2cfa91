import { z } from "zod";
import type { BudgetTarget } from "../../core/lifecycle.ts";
import { BudgetSchema, CurrencySchema, toBudgetResponse } from "../../domain/budget.ts";
import { notFound } from "../../domain/errors.ts";
import { LIMITS } from "../../domain/limits.ts";
import { toModelSpendResponse } from "../../domain/model-call.ts";
import { fromUnits } from "../../domain/money.ts";
import { BudgetListSchema } from "../../domain/wire.ts";
import { defineRoute } from "../route.ts";
import { ExpectedVersionSchema } from "../schemas.ts";

/** Exactly one budget: a swarm's, an agent's (made on first use, under its swarm's) or a project's. */
const AllocateBody = z
  .strictObject({
    swarmId: z.ulid().optional(),
    agentId: z.ulid().optional(),
    project: z.string().trim().min(1).max(LIMITS.name).optional(),
    currency: CurrencySchema.optional(),
    amount: z.number().positive().max(1_000_000),
    expectedVersion: ExpectedVersionSchema,
  })
  .refine((b) => [b.swarmId, b.agentId, b.project].filter(Boolean).length === 1, {
    message: "name exactly one budget: swarmId, agentId or project",
  })
  .refine((b) => !b.currency || b.project, {
    message: "currency is only for a new project budget",
    path: ["currency"],
  });

const targetOf = (b: z.infer<typeof AllocateBody>): BudgetTarget =>
  b.swarmId
    ? { swarmId: b.swarmId }
    : b.agentId
      ? { agentId: b.agentId }
      : { project: b.project as string, currency: b.currency };

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
      const shown = await Promise.all(
        budgets.map(async (b) => toBudgetResponse(b, await deps.store.reservedUnits(b))),
      );
      const byModel = await deps.store.modelSpend(query.swarmId ? { swarmId: query.swarmId } : {});
      return { budgets: shown, totals, byModel: byModel.map(toModelSpendResponse) };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/budget/allocate",
    permission: "write",
    summary:
      "Add money (or tokens) to a swarm's, an agent's or a project's budget (agent and project budgets are made on first use)",
    body: AllocateBody,
    response: BudgetSchema,
    async handler({ body, deps }) {
      const budget = await deps.lifecycle.allocateBudget(targetOf(body), body.amount, body.expectedVersion);
      return toBudgetResponse(budget, await deps.store.reservedUnits(budget));
    },
  }),
];
