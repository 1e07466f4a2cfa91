import type { BudgetAction, BudgetEntity, BudgetInput, BudgetRecord } from "../domain/budget.ts";
import { DashError } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import { newId } from "../domain/ids.ts";
import { budgetUnits, fromUnits } from "../domain/money.ts";
import type { NewBudget } from "../storage/store.ts";

/**
 * Budgets (PRD §6.4): project → swarm → agent, each in integer units of its currency. Pure
 * decisions, run inside the transaction that reads the budgets: which thresholds a spend crossed,
 * and admission, the reservation of a step's expected cost before the step (so agents running at
 * once cannot jointly overshoot: each can only exceed what it reserved by its one step).
 */

export function newBudget(
  entityType: BudgetEntity,
  entityId: string,
  input: BudgetInput,
  now: number,
  parentBudgetId: string | null = null,
): NewBudget {
  return {
    id: newId(now),
    entityType,
    entityId,
    parentBudgetId,
    allocatedUnits: budgetUnits(input.amount, input.currency, "budget.amount"),
    currency: input.currency,
    warningThreshold: Math.round(input.threshold),
    criticalThreshold: input.thresholds?.critical ?? 90,
    hardStopThreshold: input.thresholds?.hardStop ?? 100,
    warningAction: input.actions?.warning ?? "notify",
    criticalAction: input.actions?.critical ?? "pause",
    hardStopAction: input.actions?.hardStop ?? "kill",
    projectedAction: input.actions?.projected ?? "notify",
    stepUnits: input.step === undefined ? null : budgetUnits(input.step, input.currency, "budget.step"),
    createdAt: now,
    updatedAt: now,
  };
}

export const LEVELS = ["warning", "critical", "hardStop"] as const;
export type Level = (typeof LEVELS)[number];

const thresholdOf = (b: BudgetRecord, level: Level) =>
  level === "warning" ? b.warningThreshold : level === "critical" ? b.criticalThreshold : b.hardStopThreshold;

export const actionOf = (b: BudgetRecord, level: Level): BudgetAction =>
  level === "warning" ? b.warningAction : level === "critical" ? b.criticalAction : b.hardStopAction;

/** The highest threshold a spend has reached: 0 none, 1 warning, 2 critical, 3 hard stop. */
export function levelOf(b: BudgetRecord, spentUnits = b.spentUnits): number {
  let level = 0;
  LEVELS.forEach((name, i) => {
    if (spentUnits * 100 >= thresholdOf(b, name) * b.allocatedUnits) level = i + 1;
  });
  return level;
}

export const SEVERITY: Record<BudgetAction, number> = { none: 0, notify: 1, pause: 2, kill: 3 };

/** The strongest action of the thresholds the spend is at or past (what holds the budget's agents). */
export function actionInForce(b: BudgetRecord): BudgetAction {
  let strongest: BudgetAction = "none";
  for (const level of LEVELS.slice(0, levelOf(b))) {
    const action = actionOf(b, level);
    if (SEVERITY[action] > SEVERITY[strongest]) strongest = action;
  }
  return strongest;
}

/** The strongest action a budget calls for now: its thresholds in force, or its projection's. */
export function actionNow(budget: BudgetRecord): BudgetAction {
  const levels = actionInForce(budget);
  const projected = budget.forecast?.projectedAlerted ? budget.projectedAction : "none";
  return SEVERITY[projected] > SEVERITY[levels] ? projected : levels;
}

/** What a budget says in its events. */
export function budgetFacts(b: BudgetRecord) {
  const percent = b.allocatedUnits > 0 ? Math.round((b.spentUnits / b.allocatedUnits) * 1000) / 10 : 100;
  return {
    budgetId: b.id,
    entityType: b.entityType,
    entityId: b.entityId,
    ...(b.entityType === "swarm" ? { swarmId: b.entityId } : {}),
    allocated: fromUnits(b.allocatedUnits, b.currency),
    spent: fromUnits(b.spentUnits, b.currency),
    currency: b.currency,
    percent,
  };
}

/**
 * The thresholds `b` (after a spend) has newly crossed: one budget.threshold each, announced once
 * (alertLevel remembers), and budget.exceeded at the hard stop.
 */
export function decideAlerts(b: BudgetRecord): { alertLevel: number; events: NewEvent[] } | null {
  const level = levelOf(b);
  if (level <= b.alertLevel) return null;
  const events: NewEvent[] = [];
  for (let i = b.alertLevel; i < level; i++) {
    const name = LEVELS[i] as Level;
    const data = {
      ...budgetFacts(b),
      level: name,
      threshold: thresholdOf(b, name),
      action: actionOf(b, name),
    };
    events.push({ type: "budget.threshold", source: b.entityId, data });
    if (name === "hardStop") events.push({ type: "budget.exceeded", source: b.entityId, data });
  }
  return { alertLevel: level, events };
}

/** A budget above an agent with the units its live agents hold reserved (this agent's included). */
export interface ChainBudget {
  budget: BudgetRecord;
  reserved: number;
  /** The part of `reserved` open gateway calls hold (freed when they settle; steps are held for an agent's life). */
  inFlight?: number;
}

/** The expected cost of one step: the budget's `step`, else 1% of its allocation. */
export const stepOf = (b: BudgetRecord) => b.stepUnits ?? Math.max(1, Math.floor(b.allocatedUnits / 100));

/**
 * Admission: the units an agent may reserve for its next step (the smallest of each budget's step
 * and room), or null when a budget above it has no room left. `own` is what the agent holds now
 * (released first). Every budget of a chain has the same currency (checked when it is made).
 */
export function admit(chain: ChainBudget[], own: number): number | null {
  let grant = Number.POSITIVE_INFINITY;
  for (const { budget, reserved } of chain) {
    const room = budget.allocatedUnits - budget.spentUnits - (reserved - own);
    if (room <= 0) return null;
    grant = Math.min(grant, stepOf(budget), room);
  }
  return Number.isFinite(grant) ? grant : 0;
}

/** The refusal when admission finds no room: names the budget, its spend and what is reserved. */
export function noRoom(chain: ChainBudget[], own: number): DashError {
  const full = chain.find(
    ({ budget, reserved }) => budget.allocatedUnits - budget.spentUnits - (reserved - own) <= 0,
  );
  const b = full?.budget as BudgetRecord;
  const reserved = fromUnits((full?.reserved ?? 0) - own, b.currency);
  return new DashError(
    "BUDGET_EXCEEDED",
    `the ${b.entityType} budget of ${b.entityId} has no room for another step: ${fromUnits(b.spentUnits, b.currency)} spent and ${reserved} reserved of ${fromUnits(b.allocatedUnits, b.currency)} ${b.currency}; allocate more (POST /api/budget/allocate)`,
    { ...budgetFacts(b), reserved },
  );
}
