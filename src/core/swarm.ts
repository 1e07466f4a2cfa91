import type { AgentRole } from "../domain/agent.ts";
import type { BudgetInput } from "../domain/budget.ts";
import { DashError } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import { newId } from "../domain/ids.ts";
import { fromUnits } from "../domain/money.ts";
import { FINISHED_SWARM_STATUSES } from "../domain/states.ts";
import type { CreateSwarm, SwarmRecord } from "../domain/swarm.ts";
import { newBudget } from "../safety/budget.ts";
import type { Family, NewAgent, NewBudget, NewSwarm } from "../storage/store.ts";
import { STRATEGIES } from "./strategies/index.ts";
import type { Seed } from "./strategies/strategy.ts";

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
  role?: AgentRole;
  position?: number;
  input?: string | null;
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
    role: draft.role ?? (draft.parentId ? "child" : "worker"),
    position: draft.position ?? 0,
    input: draft.input ?? null,
    reservedUnits: 0,
    sandbox: null,
    metering: null,
    nodeId: null,
    heldBy: null,
  };
}

export interface SpawnAgentInput {
  swarmId: string;
  name?: string;
  task?: string;
  model?: string;
  parentId?: string | null;
  metadata?: Record<string, unknown>;
  input?: string | null;
}

/** The agent POST /api/agents asks for: the swarm's task, model and retries unless it says otherwise. */
export function draftSpawn(input: SpawnAgentInput, swarm: SwarmRecord | null, now: number): NewAgent {
  return draftAgent(
    {
      swarmId: input.swarmId,
      name: input.name,
      namePrefix: swarm?.name,
      task: input.task ?? swarm?.task ?? "",
      model: input.model ?? swarm?.config.model ?? "",
      maxRetries: swarm?.config.maxRetries ?? 3,
      parentId: input.parentId ?? null,
      metadata: input.metadata ?? {},
      input: input.input ?? null,
      position: swarm?.agentCount ?? 0,
    },
    now,
  );
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

/** Agents from a strategy's seeds. */
export function seedAgents(swarm: SwarmRecord | NewSwarm, seeds: Seed[], now: number): NewAgent[] {
  return seeds.map((seed) =>
    draftAgent(
      { ...seed, swarmId: swarm.id, model: swarm.config.model, maxRetries: swarm.config.maxRetries },
      now,
    ),
  );
}

export function planSwarm(
  input: CreateSwarm,
  /** The budget of a swarm that asks for none, parsed (BudgetInputSchema). */
  defaultBudget: BudgetInput,
  now: number,
  parentBudgetId: string | null = null,
): SwarmPlan {
  const id = newId(now);
  const plan = { inputs: input.inputs, stages: input.stages, reduceTask: input.reduceTask };
  const seeds = STRATEGIES[input.strategy].first({ ...input, plan });
  const swarm: NewSwarm = {
    id,
    name: input.name,
    status: "creating",
    task: input.task,
    strategy: input.strategy,
    config: input.config,
    plan,
    targetAgentCount: seeds.length,
    result: null,
    heldBy: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
  };
  const budget = newBudget("swarm", id, input.budget ?? defaultBudget, now, parentBudgetId);
  const agents = seedAgents(swarm, seeds, now);
  const created: NewEvent = {
    type: "swarm.created",
    source: id,
    data: {
      swarmId: id,
      name: input.name,
      task: input.task,
      strategy: input.strategy,
      agentCount: agents.length,
      budget: { allocated: fromUnits(budget.allocatedUnits, budget.currency), currency: budget.currency },
    },
  };
  return { swarm, budget, agents, events: [created, ...agents.map(agentSpawnedEvent)] };
}

/** Refuses a swarm whose plan would pass DASH_MAX_AGENTS (a reducer and later stages count too). */
export function checkPlannedAgents(input: CreateSwarm, first: number, max: number): void {
  const planned =
    input.strategy === "pipeline"
      ? (input.stages?.length ?? 1)
      : first + (input.strategy === "map-reduce" ? 1 : 0);
  if (planned <= max) return;
  throw new DashError(
    "VALIDATION_ERROR",
    `this swarm plans ${planned} agents; the cap is ${max} agents per swarm (DASH_MAX_AGENTS)`,
    {
      field: input.strategy === "pipeline" ? "stages" : input.inputs ? "inputs" : "initialAgents",
      max,
    },
  );
}

export interface SpawnCaps {
  /** Agents per swarm (DASH_MAX_AGENTS). */
  max: number;
  /** Server defaults for swarms that set no tree caps. */
  maxDepth: number;
  maxChildren: number;
}

/**
 * A new agent joins only a live swarm with room under the per-swarm cap; a child only within its
 * swarm's depth and fan-out caps (a runaway tree is refused, not run).
 */
export function decideSpawn(
  swarm: SwarmRecord,
  agent: NewAgent,
  caps: SpawnCaps,
  parent: Family | null,
): NewEvent[] {
  if (FINISHED_SWARM_STATUSES.has(swarm.status)) {
    throw new DashError("CONFLICT", `swarm ${swarm.id} is ${swarm.status}: it takes no new agents`, {
      swarmId: swarm.id,
      status: swarm.status,
    });
  }
  if (swarm.agentCount >= caps.max) {
    throw new DashError(
      "VALIDATION_ERROR",
      `swarm ${swarm.id} already has ${swarm.agentCount} agents (the cap is ${caps.max}, DASH_MAX_AGENTS)`,
      {
        swarmId: swarm.id,
        max: caps.max,
      },
    );
  }
  if (parent) {
    const maxDepth = swarm.config.maxDepth ?? caps.maxDepth;
    const maxChildren = swarm.config.maxChildren ?? caps.maxChildren;
    if (parent.depth + 1 > maxDepth) {
      throw new DashError(
        "VALIDATION_ERROR",
        `agent ${agent.parentId} is at depth ${parent.depth}: a child would pass the swarm's maxDepth of ${maxDepth}`,
        {
          field: "parentId",
          maxDepth,
        },
      );
    }
    if (parent.children >= maxChildren) {
      throw new DashError(
        "VALIDATION_ERROR",
        `agent ${agent.parentId} already has ${parent.children} children (the swarm's maxChildren is ${maxChildren})`,
        {
          field: "parentId",
          maxChildren,
        },
      );
    }
  }
  return [agentSpawnedEvent(agent)];
}
