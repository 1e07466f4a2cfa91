import { z } from "zod";
import { fromUnits } from "./money.ts";

export const CurrencySchema = z.enum(["USD", "tokens"]);
export type Currency = z.infer<typeof CurrencySchema>;
export const BudgetActionSchema = z.enum(["notify", "pause", "kill", "none"]);
export type BudgetAction = z.infer<typeof BudgetActionSchema>;
export const BudgetEntitySchema = z.enum(["project", "swarm", "agent", "task"]);
export type BudgetEntity = z.infer<typeof BudgetEntitySchema>;

/** A budgets row; amounts in integer units (micro-USD or tokens, see money.ts). */
export interface BudgetRecord {
  id: string;
  entityType: BudgetEntity;
  entityId: string;
  parentBudgetId: string | null;
  allocatedUnits: number;
  spentUnits: number;
  currency: Currency;
  warningThreshold: number;
  criticalThreshold: number;
  hardStopThreshold: number;
  warningAction: BudgetAction;
  criticalAction: BudgetAction;
  hardStopAction: BudgetAction;
  createdAt: number;
  updatedAt: number;
  lastAlertAt: number | null;
  burnRate: number | null;
  projectedFinalUnits: number | null;
  version: number;
}

/** The budget block of a swarm response (PRD §5.2), in dollars or tokens. */
export const SwarmBudgetSchema = z.object({
  allocated: z.number().nonnegative(),
  spent: z.number().nonnegative(),
  currency: CurrencySchema,
  remaining: z.number(),
});
export type SwarmBudget = z.infer<typeof SwarmBudgetSchema>;

export function toSwarmBudget(budget: BudgetRecord): SwarmBudget {
  const { currency } = budget;
  return {
    allocated: fromUnits(budget.allocatedUnits, currency),
    spent: fromUnits(budget.spentUnits, currency),
    currency,
    remaining: fromUnits(budget.allocatedUnits - budget.spentUnits, currency),
  };
}

/** A budget as GET /api/budget shows it. */
export const BudgetSchema = z.object({
  id: z.ulid(),
  entityType: BudgetEntitySchema,
  entityId: z.string(),
  parentBudgetId: z.ulid().nullable(),
  ...SwarmBudgetSchema.shape,
  thresholds: z.object({ warning: z.number(), critical: z.number(), hardStop: z.number() }),
  actions: z.object({
    warning: BudgetActionSchema,
    critical: BudgetActionSchema,
    hardStop: BudgetActionSchema,
  }),
  burnRate: z.number().nullable(),
  projected: z.number().nullable(),
  updatedAt: z.iso.datetime(),
  /** The row version, to send back as `expectedVersion` when allocating. */
  version: z.number().int().positive(),
});
export type Budget = z.infer<typeof BudgetSchema>;

export function toBudgetResponse(budget: BudgetRecord): Budget {
  const { currency } = budget;
  return {
    id: budget.id,
    entityType: budget.entityType,
    entityId: budget.entityId,
    parentBudgetId: budget.parentBudgetId,
    ...toSwarmBudget(budget),
    thresholds: {
      warning: budget.warningThreshold,
      critical: budget.criticalThreshold,
      hardStop: budget.hardStopThreshold,
    },
    actions: {
      warning: budget.warningAction,
      critical: budget.criticalAction,
      hardStop: budget.hardStopAction,
    },
    burnRate: budget.burnRate === null ? null : fromUnits(budget.burnRate, currency),
    projected: budget.projectedFinalUnits === null ? null : fromUnits(budget.projectedFinalUnits, currency),
    updatedAt: new Date(budget.updatedAt).toISOString(),
    version: budget.version,
  };
}
