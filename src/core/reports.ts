import { type AgentRecord, percentage, type UsageReport } from "../domain/agent.ts";
import type { BudgetRecord } from "../domain/budget.ts";
import { DashError } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import { budgetUnits, fromUnits } from "../domain/money.ts";
import { levelOf } from "../safety/budget.ts";
import type { AgentPatch, BudgetPatch, Change } from "../storage/store.ts";
import { checkVersion } from "./transitions.ts";

/** Pure decisions for progress, usage and allocation reports, run inside the write transaction. */

/** Progress is taken only from a running agent; anything else is a late or stray report. */
export function decideProgress(
  agent: AgentRecord,
  report: { current: number; total: number },
  expectedVersion?: number,
): Change<AgentPatch> {
  checkVersion("agent", agent, expectedVersion);
  if (agent.status !== "running") {
    throw new DashError(
      "CONFLICT",
      `agent ${agent.id} is ${agent.status}: progress is taken only while running`,
      {
        agentId: agent.id,
        status: agent.status,
      },
    );
  }
  const { current, total } = report;
  const data = {
    agentId: agent.id,
    swarmId: agent.swarmId,
    progress: { current, total, percentage: percentage(current, total) },
    cost: { tokens: agent.promptTokens + agent.completionTokens, amount: fromUnits(agent.costMicros, "USD") },
  };
  return {
    patch: { progressCurrent: current, progressTotal: total },
    events: [{ type: "agent.progress", source: agent.id, data }],
  };
}

/** The agent.usage event; `agent` already includes this report. */
export function usageEvent(agent: AgentRecord, usage: UsageReport, costMicros: number): NewEvent {
  return {
    type: "agent.usage",
    source: agent.id,
    data: {
      agentId: agent.id,
      swarmId: agent.swarmId,
      model: usage.model ?? agent.model,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cost: fromUnits(costMicros, "USD"),
      total: {
        promptTokens: agent.promptTokens,
        completionTokens: agent.completionTokens,
        totalTokens: agent.promptTokens + agent.completionTokens,
        amount: fromUnits(agent.costMicros, "USD"),
      },
    },
  };
}

export function allocatedEvent(budget: BudgetRecord, added: number): NewEvent {
  const data = {
    ...(budget.entityType === "swarm" ? { swarmId: budget.entityId } : {}),
    entityType: budget.entityType,
    entityId: budget.entityId,
    budgetId: budget.id,
    added,
    allocated: fromUnits(budget.allocatedUnits, budget.currency),
    spent: fromUnits(budget.spentUnits, budget.currency),
    currency: budget.currency,
  };
  return { type: "budget.allocated", source: budget.entityId, data };
}

/**
 * Adds `amount` (in the budget's currency) to its allocation. Thresholds the spend is now below
 * may be announced again when crossed again, and so may the projection.
 */
export function decideAllocation(
  budget: BudgetRecord,
  amount: number,
  expectedVersion?: number,
): Change<BudgetPatch> {
  checkVersion("budget", budget, expectedVersion);
  const allocatedUnits = budget.allocatedUnits + budgetUnits(amount, budget.currency, "amount");
  const after = { ...budget, allocatedUnits };
  const alertLevel = Math.min(budget.alertLevel, levelOf(after));
  const forecast = budget.forecast ? { ...budget.forecast, projectedAlerted: false } : null;
  return { patch: { allocatedUnits, alertLevel, forecast }, events: [allocatedEvent(after, amount)] };
}

/**
 * New work is refused once a swarm's budget is spent (403 BUDGET_EXCEEDED). Spend only grows, so
 * a check that passes before a write cannot let an over-budget spawn through.
 */
export function assertBudgetLeft(swarmId: string, budget: BudgetRecord | null): void {
  if (!budget || budget.spentUnits < budget.allocatedUnits) return;
  throw new DashError("BUDGET_EXCEEDED", `swarm ${swarmId} has spent its budget: allocate more first`, {
    swarmId,
    allocated: fromUnits(budget.allocatedUnits, budget.currency),
    spent: fromUnits(budget.spentUnits, budget.currency),
    currency: budget.currency,
  });
}
