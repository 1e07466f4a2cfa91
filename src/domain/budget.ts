import { z } from "zod";
import { LIMITS } from "./limits.ts";
import { fromUnits } from "./money.ts";

export const CurrencySchema = z.enum(["USD", "tokens"]);
export type Currency = z.infer<typeof CurrencySchema>;
export const BudgetActionSchema = z.enum(["notify", "pause", "kill", "none"]);
export type BudgetAction = z.infer<typeof BudgetActionSchema>;
export const BudgetEntitySchema = z.enum(["project", "swarm", "agent", "task"]);
export type BudgetEntity = z.infer<typeof BudgetEntitySchema>;

const Percent = z.number().int().min(0).max(100);

/**
 * A swarm's budget as POST /api/swarm takes it. `threshold` is the PRD's (the warning level);
 * beyond the PRD: the other levels and what each does, the expected cost of one step (reserved
 * before it, default 1% of the amount) and the project budget above it.
 */
export const BudgetInputSchema = z
  .strictObject({
    amount: z.number().positive().max(1_000_000),
    currency: CurrencySchema.default("USD"),
    threshold: z.number().min(0).max(100).default(75),
    thresholds: z.strictObject({ critical: Percent.default(90), hardStop: Percent.default(100) }).optional(),
    actions: z
      .strictObject({
        warning: BudgetActionSchema.default("notify"),
        critical: BudgetActionSchema.default("pause"),
        hardStop: BudgetActionSchema.default("kill"),
        projected: BudgetActionSchema.default("notify"),
      })
      .optional(),
    step: z.number().positive().max(1_000_000).optional(),
    project: z.string().trim().min(1).max(LIMITS.name).optional(),
  })
  .refine((b) => b.threshold <= (b.thresholds?.critical ?? 90), {
    message: "threshold (warning) must not be above the critical threshold",
    path: ["threshold"],
  })
  .refine((b) => (b.thresholds?.critical ?? 90) <= (b.thresholds?.hardStop ?? 100), {
    message: "the critical threshold must not be above the hard stop",
    path: ["thresholds"],
  });
export type BudgetInput = z.infer<typeof BudgetInputSchema>;

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
  /** Units per minute (EWMA over 5 minutes), as of the last sample. */
  burnRate: number | null;
  projectedFinalUnits: number | null;
  /** Units one step reserves; null: 1% of the allocation. */
  stepUnits: number | null;
  /** Highest threshold announced: 0 none, 1 warning, 2 critical, 3 hard stop. */
  alertLevel: number;
  projectedAction: BudgetAction;
  /** The burn-rate sampler's state (safety/forecast.ts). */
  forecast: Forecast | null;
  version: number;
}

export interface Forecast {
  /** EWMA of the spend rate (units/min) before warm-up correction. */
  ewma: number;
  /** When sampling began, and the last sample's time and spend. */
  since: number;
  at: number;
  spent: number;
  /** Minutes until the allocation is spent at the current rate (null: not burning). */
  minutesLeft: number | null;
  /** budget.projected has fired for the current allocation. */
  projectedAlerted: boolean;
}

/** The budget block of a swarm response (PRD §5.2), in dollars or tokens. */
export const SwarmBudgetSchema = z.object({
  allocated: z.number().nonnegative(),
  spent: z.number().nonnegative(),
  currency: CurrencySchema,
  remaining: z.number(),
});
export type SwarmBudget = z.infer<typeof SwarmBudgetSchema>;

export function toSwarmBudget(
  budget: Pick<BudgetRecord, "allocatedUnits" | "spentUnits" | "currency">,
): SwarmBudget {
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
  /** Per minute, EWMA over ~5 minutes (null: not sampled yet). */
  burnRate: z.number().nullable(),
  /** Spend at the end of the live agents' work (by their progress), else 5 minutes from now at the burn rate. */
  projected: z.number().nullable(),
  /** Minutes until the allocation is spent at the burn rate (null: not burning). */
  minutesLeft: z.number().nullable(),
  /** Reserved by live agents for their next steps (admission), and what one step reserves. */
  reserved: z.number().nonnegative(),
  step: z.number().positive(),
  /** The highest threshold the spend has crossed. */
  level: z.enum(["none", "warning", "critical", "hardStop"]),
  updatedAt: z.iso.datetime(),
  /** The row version, to send back as `expectedVersion` when allocating. */
  version: z.number().int().positive(),
});
export type Budget = z.infer<typeof BudgetSchema>;

const LEVEL_NAMES = ["none", "warning", "critical", "hardStop"] as const;

export function toBudgetResponse(budget: BudgetRecord, reservedUnits = 0): Budget {
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
    minutesLeft: budget.forecast?.minutesLeft ?? null,
    reserved: fromUnits(reservedUnits, currency),
    step: fromUnits(budget.stepUnits ?? Math.max(1, Math.floor(budget.allocatedUnits / 100)), currency),
    level: LEVEL_NAMES[budget.alertLevel] ?? "none",
    updatedAt: new Date(budget.updatedAt).toISOString(),
    version: budget.version,
  };
}
