import type { Currency } from "../domain/budget.ts";
import { DashError } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import { newId } from "../domain/ids.ts";
import { budgetUnits } from "../domain/money.ts";
import { FINISHED_SWARM_STATUSES } from "../domain/states.ts";
import type { CreateSwarm, SwarmRecord } from "../domain/swarm.ts";
import type { NewAgent, NewBudget, NewSwarm } from "../storage/store.ts";

/** What a new swarm writes in its one transaction: the swarm, its budget, its first agents, events. */
export interface SwarmPlan {
  swarm: NewSwarm;
  budget: NewBudget;
  agents: NewAgent[];
  events: NewEvent[];
}

export interface AgentDraft {
  swarmId: string;
  /** Defaults to `<namePrefix>-<last 6 of the id>`. */
  name?: string;
  namePrefix?: string;
  task: string;
  model: string;
  maxRetries: number;
  parentId?: string | null;
  metadata?: Record<string, unknown>;
}

export function draftAgent(draft: AgentDraft, now: number): NewAgent {
  const id = newId(now);
  return {
    id,
    name: draft.name ?? `${draft.namePrefix ?? "agent"}-${id.slice(-6).toLowerCase()}`,
    status: "idle",
    swarmId: draft.swarmId,
    parentId: draft.parentId ?? null,
    task: draft.task,
    model: draft.model,
    progressCurrent: 0,
    progressTotal: 0,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    sessionId: null,
    metadata: draft.metadata ?? {},
    result: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    completedAt: null,
    retryCount: 0,
    maxRetries: draft.maxRetries,
    logOffset: 0,
    pid: null,
    exitCode: null,
  };
}

export function agentSpawnedEvent(agent: NewAgent): NewEvent {
  return {
    type: "agent.spawned",
    source: agent.id,
    data: {
      agentId: agent.id,
      name: agent.name,
      swarmId: agent.swarmId,
      parentId: agent.parentId,
      task: agent.task,
      status: agent.status,
    },
  };
}

export function planSwarm(
  input: CreateSwarm,
  defaultBudget: { amount: number; currency: Currency },
  now: number,
): SwarmPlan {
  const id = newId(now);
  const budgetInput = input.budget ?? { ...defaultBudget, threshold: 75 };
  const swarm: NewSwarm = {
    id,
    name: input.name,
    status: "creating",
    task: input.task,
    strategy: input.strategy,
    config: input.config,
    targetAgentCount: input.initialAgents,
    result: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
  };
  const budget: NewBudget = {
    id: newId(now),
    entityType: "swarm",
    entityId: id,
    parentBudgetId: null,
    allocatedUnits: budgetUnits(budgetInput.amount, budgetInput.currency, "budget.amount"),
    currency: budgetInput.currency,
    warningThreshold: Math.round(budgetInput.threshold),
    criticalThreshold: 90,
    hardStopThreshold: 100,
    warningAction: "notify",
    criticalAction: "pause",
    hardStopAction: "kill",
    createdAt: now,
    updatedAt: now,
  };
  const agents = Array.from({ length: input.initialAgents }, (_, i) =>
    draftAgent(
      {
        swarmId: id,
        name: `${input.name}-${i + 1}`,
        task: input.task,
        model: input.config.model,
        maxRetries: input.config.maxRetries,
      },
      now,
    ),
  );
  const created: NewEvent = {
    type: "swarm.created",
    source: id,
    data: {
      swarmId: id,
      name: input.name,
      task: input.task,
      strategy: input.strategy,
      agentCount: agents.length,
      budget: { allocated: budgetInput.amount, currency: budgetInput.currency },
    },
  };
  return { swarm, budget, agents, events: [created, ...agents.map(agentSpawnedEvent)] };
}

/** A new agent joins only a live swarm with room under the per-swarm cap. */
export function decideSpawn(swarm: SwarmRecord, agent: NewAgent, max: number): NewEvent[] {
  if (FINISHED_SWARM_STATUSES.has(swarm.status)) {
    throw new DashError("CONFLICT", `swarm ${swarm.id} is ${swarm.status}: it takes no new agents`, {
      swarmId: swarm.id,
      status: swarm.status,
    });
  }
  if (swarm.agentCount >= max) {
    throw new DashError(
      "VALIDATION_ERROR",
      `swarm ${swarm.id} already has ${swarm.agentCount} agents (the cap is ${max})`,
      {
        swarmId: swarm.id,
        max,
      },
    );
  }
  return [agentSpawnedEvent(agent)];
}
