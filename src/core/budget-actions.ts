import type { AgentRecord } from "../domain/agent.ts";
import { DEFAULT_APPROVAL_TIMEOUT_S } from "../domain/approval.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import { DashError } from "../domain/errors.ts";
import { fromUnits } from "../domain/money.ts";
import { actionNow } from "../safety/budget.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { isTerminal } from "./strategies/strategy.ts";

/**
 * What a budget does to its agents when a threshold (or the projection) says so, and letting go
 * when there is room again. Each step is its own write through the lifecycle; a move the state
 * machine refuses (the agent ended meanwhile) is simply skipped.
 */

const skipRefused = (error: unknown) => {
  if (!(error instanceof DashError)) throw error;
  return null;
};

/** The swarms a budget covers: its own, its agent's, or every swarm under a project. */
async function swarmsOf(lifecycle: Lifecycle, budget: BudgetRecord): Promise<string[]> {
  const { store } = lifecycle;
  if (budget.entityType === "swarm") return [budget.entityId];
  if (budget.entityType === "agent") {
    const agent = await store.getAgent(budget.entityId);
    return agent ? [agent.swarmId] : [];
  }
  const swarms = await store.listBudgets({ entityType: "swarm" });
  return swarms.filter((b) => b.parentBudgetId === budget.id).map((b) => b.entityId);
}

async function agentsOf(lifecycle: Lifecycle, budget: BudgetRecord): Promise<AgentRecord[]> {
  const { store } = lifecycle;
  if (budget.entityType === "agent") {
    const agent = await store.getAgent(budget.entityId);
    return agent ? [agent] : [];
  }
  const out: AgentRecord[] = [];
  for (const swarmId of await swarmsOf(lifecycle, budget)) out.push(...(await store.listAgents({ swarmId })));
  return out;
}

/**
 * Acts on every agent of the budget: `pause` holds its swarms (and their running agents) until
 * more money comes; `kill` stops every agent that has not ended, queued ones too. Idempotent, so
 * thresholds crossed together are one call. At startup (`recovery`) only a kill in force is applied
 * again (an action lost in a crash), never a pause an operator has undone.
 */
export async function enforceBudget(
  lifecycle: Lifecycle,
  budget: BudgetRecord,
  reason: string,
  recovery = false,
): Promise<void> {
  const act = actionNow(budget);
  if (act === "kill") {
    for (const agent of await agentsOf(lifecycle, budget)) {
      if (isTerminal(agent)) continue;
      await lifecycle.moveAgent(agent.id, { to: "killed", reason }).catch(skipRefused);
      await nextTurn();
    }
    return;
  }
  if (act !== "pause" || recovery) return;
  if (budget.entityType !== "agent") {
    for (const swarmId of await swarmsOf(lifecycle, budget)) {
      const paused = await lifecycle
        .moveSwarm(swarmId, { to: "paused", reason, heldBy: "budget" })
        .catch(skipRefused);
      if (paused) await askToGoOn(lifecycle, budget, paused.id, paused.name, reason);
    }
  }
  for (const agent of await agentsOf(lifecycle, budget)) {
    if (agent.status !== "running") continue;
    await lifecycle.moveAgent(agent.id, { to: "paused", reason, heldBy: "budget" }).catch(skipRefused);
    await nextTurn();
  }
}

/**
 * Stopping a process costs milliseconds (its group is looked up in /proc), so between two agents
 * the reports the others wrote meanwhile are read: one that finds no room holds its agent at once,
 * instead of waiting, unread, until the action reaches that agent.
 */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A budget pause asks a person whether the swarm may go on past the threshold (approving resumes
 * it, see approveBudgetGoOn); unanswered or denied, it stays paused until more money comes.
 */
async function askToGoOn(
  lifecycle: Lifecycle,
  budget: BudgetRecord,
  swarmId: string,
  name: string,
  reason: string,
) {
  const spent = fromUnits(budget.spentUnits, budget.currency);
  const allocated = fromUnits(budget.allocatedUnits, budget.currency);
  const share =
    budget.allocatedUnits > 0 ? Math.round((budget.spentUnits / budget.allocatedUnits) * 100) : 100;
  const whose = budget.entityType === "swarm" ? "its" : `its ${budget.entityType}'s`;
  await lifecycle.requestApproval({
    kind: "budget",
    swarmId,
    title: `swarm ${name} was paused at ${share}% of ${whose} budget: let it go on?`,
    details: {
      budgetId: budget.id,
      entityType: budget.entityType,
      spent,
      allocated,
      currency: budget.currency,
      reason,
    },
    timeoutSeconds: DEFAULT_APPROVAL_TIMEOUT_S,
  });
}

/** An approved budget question: the swarm resumes (its held agents then go on as admission allows). */
export async function approveBudgetGoOn(lifecycle: Lifecycle, swarmId: string, approvalId: string) {
  const swarm = await lifecycle.store.getSwarm(swarmId);
  if (swarm?.status !== "paused") return;
  await lifecycle
    .moveSwarm(swarmId, { to: "active", reason: `approval ${approvalId} approved` })
    .catch(skipRefused);
}

/** Whether any budget from the swarm's up to its project still holds it (a pause or kill in force). */
async function stillHeld(lifecycle: Lifecycle, swarmId: string): Promise<boolean> {
  const { store } = lifecycle;
  let budget = await store.getBudget("swarm", swarmId);
  const all = budget?.parentBudgetId ? await store.listBudgets({ entityType: "project" }) : [];
  while (budget) {
    if (["pause", "kill"].includes(actionNow(budget))) return true;
    const parentId = budget.parentBudgetId;
    budget = all.find((b) => b.id === parentId) ?? null;
  }
  return false;
}

/** Budget actions (pause, kill) decided but not yet applied: releases wait for them. */
export interface PendingActions {
  pending: () => boolean;
  settled: () => Promise<void>;
}

const NONE_PENDING: PendingActions = { pending: () => false, settled: async () => {} };

/** After more money: swarms a budget action paused resume if no budget holds them any more. */
export async function releaseSwarm(
  lifecycle: Lifecycle,
  entityType: BudgetEntity,
  entityId: string,
  actions: PendingActions = NONE_PENDING,
) {
  const budget = await lifecycle.store.getBudget(entityType, entityId);
  if (!budget) return;
  for (const swarmId of await swarmsOf(lifecycle, budget)) {
    const swarm = await lifecycle.store.getSwarm(swarmId);
    if (swarm?.status === "paused" && swarm.heldBy === "budget" && !(await stillHeld(lifecycle, swarmId))) {
      await lifecycle
        .moveSwarm(swarmId, { to: "active", reason: "budget: more was allocated" })
        .catch(skipRefused);
    }
    await releaseHeld(lifecycle, swarmId, actions);
  }
}

/**
 * Agents of an active swarm held by their budget go on, as long as admission finds room. A report
 * that crosses a pausing threshold holds its agent at once and leaves the swarm's pause to the
 * budget's action, so nothing is let go while such an action is pending: the swarm and the pending
 * actions are looked at right before each release (an action committed meanwhile is seen), and
 * after waiting for them the truth is read again.
 */
export async function releaseHeld(
  lifecycle: Lifecycle,
  swarmId: string,
  actions: PendingActions = NONE_PENDING,
): Promise<void> {
  const { store } = lifecycle;
  for (;;) {
    // Agents waiting for an approval go on with its answer, not with money.
    const held = (await store.listAgents({ swarmId, held: true })).filter(
      (agent) => agent.status === "paused" && agent.heldBy === "budget",
    );
    let waiting = false;
    for (const agent of held) {
      if ((await store.getSwarm(swarmId))?.status !== "active") return;
      if (actions.pending()) {
        waiting = true;
        break;
      }
      const released = await lifecycle.releaseAgent(agent.id).catch((error: unknown) => {
        if (error instanceof DashError && error.code === "BUDGET_EXCEEDED") return "full" as const;
        return skipRefused(error);
      });
      if (released === "full") return;
    }
    if (!waiting) return;
    await actions.settled();
  }
}
