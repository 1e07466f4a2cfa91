import type { AgentRecord, UsageReport } from "../domain/agent.ts";
import type { BudgetRecord } from "../domain/budget.ts";
import { DashError } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import {
  actionOf,
  admit,
  type ChainBudget,
  decideAlerts,
  LEVELS,
  type Level,
  noRoom,
  SEVERITY,
} from "../safety/budget.ts";
import type { AgentPatch, MeterChange } from "../storage/store.ts";
import { usageEvent } from "./reports.ts";
import { type AgentMove, decideAgentMove } from "./transitions.ts";

/**
 * The decisions that touch an agent and the budgets above it together (one transaction each):
 * usage settles the step's reservation and reserves the next; a start reserves the first step or
 * is refused; a held agent is let go again when its budgets have room.
 */

const HELD_REASON = "budget: no room for its next step (it resumes when there is)";

/** Usage in a budget's currency: tokens for token budgets, micro-dollars otherwise. */
const unitsFor = (b: BudgetRecord, tokens: number, micros: number) =>
  b.currency === "tokens" ? tokens : micros;

/** Adds a spend to every budget of the chain: each one after it, and the thresholds it crossed. */
export function chargeChain(chain: ChainBudget[], tokens: number, costMicros: number) {
  const events: NewEvent[] = [];
  const spent = chain.map(({ budget, reserved }) => {
    const after = { ...budget, spentUnits: budget.spentUnits + unitsFor(budget, tokens, costMicros) };
    const alerts = decideAlerts(after);
    if (alerts) events.push(...alerts.events);
    return { budget, reserved, after, alertLevel: alerts?.alertLevel };
  });
  return { spent, events };
}

/**
 * Why a report stops its own agent, if a threshold it crossed pauses or kills: that action applies
 * to every agent of the budget (core/budget-actions.ts), the reporter first, in this transaction.
 */
function stoppingThreshold(spent: ReturnType<typeof chargeChain>["spent"]): string | null {
  let reason: string | null = null;
  for (const { budget, after, alertLevel } of spent) {
    for (let i = budget.alertLevel; i < (alertLevel ?? 0); i++) {
      const level = LEVELS[i] as Level;
      if (SEVERITY[actionOf(after, level)] >= SEVERITY.pause) reason = `budget: ${level} threshold reached`;
    }
  }
  return reason;
}

export function decideUsage(
  agent: AgentRecord,
  chain: ChainBudget[],
  usage: UsageReport,
  costMicros: number,
  now: number,
  logOffset?: number,
): MeterChange & { admitted: boolean } {
  const tokens = usage.promptTokens + usage.completionTokens;
  const patch: AgentPatch = {
    promptTokens: agent.promptTokens + usage.promptTokens,
    completionTokens: agent.completionTokens + usage.completionTokens,
    costMicros: agent.costMicros + costMicros,
    logOffset,
  };
  const { spent, events } = chargeChain(chain, tokens, costMicros);
  // The step this report ends is settled; before the next one, the agent needs room again.
  // Only a running (or starting) agent may take another step; a paused or finished one may not.
  let admitted = false;
  if (agent.status === "spawning" || agent.status === "running") {
    const grant = admit(
      spent.map(({ after, reserved }) => ({ budget: after, reserved })),
      agent.reservedUnits,
    );
    admitted = grant !== null;
    patch.reservedUnits = grant ?? 0;
    // The report that leaves no room, or crosses a threshold that pauses or kills, holds its agent
    // in this same transaction: its process is stopped when this commits (the scheduler's SIGSTOP on
    // agent.paused), before the next line of its output is applied. A threshold hold keeps the
    // step it was granted, like the budget action's own pause: the agent goes on if that is undone.
    const stop = grant === null ? HELD_REASON : stoppingThreshold(spent);
    if (stop && agent.status === "running") {
      const held = decideAgentMove(agent, { to: "paused", reason: stop }, now);
      Object.assign(patch, held.patch, { heldBy: "budget" });
      events.push(...held.events);
    }
  }
  const updated = { ...agent, ...patch } as AgentRecord;
  return {
    agent: patch,
    budgets: spent.map(({ budget, after, alertLevel }) => ({
      budget,
      patch: { spentUnits: after.spentUnits, alertLevel },
    })),
    events: [usageEvent(updated, usage, costMicros), ...events],
    admitted,
  };
}

/** An agent metered by the gateway reserves per call, when it makes one: it holds no step. */
const stepHeld = (agent: AgentRecord, grant: number) => (agent.metering === "gateway" ? 0 : grant);

/** Starting (or retrying) an agent reserves its first step, or is refused with BUDGET_EXCEEDED. */
export function decideStart(
  agent: AgentRecord,
  chain: ChainBudget[],
  move: AgentMove,
  now: number,
): MeterChange {
  const change = decideAgentMove(agent, move, now);
  const grant = admit(chain, 0);
  if (grant === null) throw noRoom(chain, 0);
  return {
    agent: { ...change.patch, reservedUnits: stepHeld(agent, grant), heldBy: null },
    budgets: [],
    events: change.events,
  };
}

/** A held agent goes on when every budget above it has room for a step again. */
export function decideRelease(agent: AgentRecord, chain: ChainBudget[], now: number): MeterChange {
  if (agent.status !== "paused" || agent.heldBy !== "budget") {
    throw new DashError("CONFLICT", `agent ${agent.id} is not held by its budget`);
  }
  const grant = admit(chain, 0);
  if (grant === null) throw noRoom(chain, 0);
  const change = decideAgentMove(agent, { to: "running", reason: "its budget has room again" }, now);
  return {
    agent: { ...change.patch, reservedUnits: stepHeld(agent, grant), heldBy: null },
    budgets: [],
    events: change.events,
  };
}
