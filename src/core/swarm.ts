import type { Currency } from "../domain/budget.ts";
import type { NewEvent } from "../domain/event.ts";
import { newId } from "../domain/ids.ts";
import { toUnits } from "../domain/money.ts";
import type { CreateSwarm } from "../domain/swarm.ts";
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
  name: string;
  task: string;
  model: string;
  maxRetries: number;
  parentId?: string | null;
  metadata?: Record<string, unknown>;
}

export function draftAgent(draft: AgentDraft, now: number): NewAgent {
  return {
    id: newId(now),
    name: draft.name,
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
    allocatedUnits: toUnits(budgetInput.amount, budgetInput.currency),
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
