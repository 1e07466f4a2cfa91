import type { EventBus } from "../bus/bus.ts";
import {
  type AgentRecord,
  type ProgressReport,
  ProgressReportSchema,
  percentage,
  type UsageReport,
  UsageReportSchema,
} from "../domain/agent.ts";
import type { BudgetRecord, Currency } from "../domain/budget.ts";
import { ConcurrencyConflictError, DashError, InvalidTransitionError } from "../domain/errors.ts";
import { fromUnits, toUnits, usdToMicros } from "../domain/money.ts";
import { FINISHED_SWARM_STATUSES } from "../domain/states.ts";
import { type CreateSwarmInput, CreateSwarmSchema, type SwarmRecord } from "../domain/swarm.ts";
import { parseOrThrow } from "../domain/validate.ts";
import type { Store, WriteResult } from "../storage/store.ts";
import { agentSpawnedEvent, draftAgent, planSwarm } from "./swarm.ts";
import {
  type AgentMove,
  checkVersion,
  decideAgentMove,
  decideSwarmMove,
  type SwarmMove,
} from "./transitions.ts";

export interface LifecycleOptions {
  now?: () => number;
  /** Budget for a swarm created without one. */
  defaultBudget?: { amount: number; currency: Currency };
  /** DASH_MAX_AGENTS: agents one swarm may hold. */
  maxAgentsPerSwarm?: number;
}

export interface SpawnAgentInput {
  swarmId: string;
  name?: string;
  task?: string;
  model?: string;
  parentId?: string | null;
  metadata?: Record<string, unknown>;
}

/**
 * THE write path (DESIGN.md §3). Every change of state of an agent, swarm or budget goes through
 * one of these methods: each is one transaction in the store that checks the state machine and the
 * row version, writes the row and its event(s); the events reach the bus only after COMMIT.
 */
export class Lifecycle {
  private readonly refused = new Map<string, number>();
  private conflictCount = 0;
  private readonly now: () => number;

  constructor(
    readonly store: Store,
    readonly bus: EventBus,
    private readonly options: LifecycleOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async createSwarm(input: CreateSwarmInput): Promise<{ swarm: SwarmRecord; agents: AgentRecord[] }> {
    const parsed = parseOrThrow(CreateSwarmSchema, input, "swarm");
    const max = this.options.maxAgentsPerSwarm ?? 100;
    if (parsed.initialAgents > max) {
      throw new DashError(
        "VALIDATION_ERROR",
        `initialAgents ${parsed.initialAgents} is over the cap of ${max} agents per swarm`,
        {
          field: "initialAgents",
          max,
        },
      );
    }
    const plan = planSwarm(parsed, this.options.defaultBudget ?? { amount: 10, currency: "USD" }, this.now());
    const swarm = await this.commit(
      this.store.insertSwarm(plan.swarm, plan.budget, plan.agents, plan.events),
    );
    const agents = plan.agents.map((a) => ({ ...a, version: 1 }));
    return { swarm, agents };
  }

  /** Adds an idle agent to a live swarm, within the per-swarm cap (checked inside the transaction). */
  async spawnAgent(input: SpawnAgentInput): Promise<AgentRecord> {
    const swarm = await this.store.getSwarm(input.swarmId);
    const max = this.options.maxAgentsPerSwarm ?? 100;
    const agent = draftAgent(
      {
        swarmId: input.swarmId,
        name: input.name ?? `${swarm?.name ?? "agent"}-${Date.now().toString(36)}`,
        task: input.task ?? swarm?.task ?? "",
        model: input.model ?? swarm?.config.model ?? "",
        maxRetries: swarm?.config.maxRetries ?? 3,
        parentId: input.parentId ?? null,
        metadata: input.metadata ?? {},
      },
      this.now(),
    );
    return this.commit(
      this.store.insertAgent(agent, (current) => {
        if (FINISHED_SWARM_STATUSES.has(current.status)) {
          throw new DashError(
            "CONFLICT",
            `swarm ${current.id} is ${current.status}: it takes no new agents`,
            {
              swarmId: current.id,
              status: current.status,
            },
          );
        }
        if (current.agentCount >= max) {
          throw new DashError(
            "VALIDATION_ERROR",
            `swarm ${current.id} already has ${current.agentCount} agents (the cap is ${max})`,
            {
              swarmId: current.id,
              max,
            },
          );
        }
        return [agentSpawnedEvent(agent)];
      }),
    );
  }

  async moveAgent(id: string, move: AgentMove): Promise<AgentRecord> {
    return this.commit(this.store.updateAgent(id, (agent) => decideAgentMove(agent, move, this.now())));
  }

  async moveSwarm(id: string, move: SwarmMove): Promise<SwarmRecord> {
    return this.commit(this.store.updateSwarm(id, (swarm) => decideSwarmMove(swarm, move, this.now())));
  }

  /** Progress is taken only from a running agent; anything else is a late or stray report. */
  async reportProgress(id: string, report: ProgressReport, expectedVersion?: number): Promise<AgentRecord> {
    const { current, total } = parseOrThrow(ProgressReportSchema, report, "progress report");
    return this.commit(
      this.store.updateAgent(id, (agent) => {
        checkVersion("agent", agent, expectedVersion);
        if (agent.status !== "running") {
          throw new DashError(
            "CONFLICT",
            `agent ${id} is ${agent.status}: progress is taken only while running`,
            {
              agentId: id,
              status: agent.status,
            },
          );
        }
        const cost = {
          tokens: agent.promptTokens + agent.completionTokens,
          amount: fromUnits(agent.costMicros, "USD"),
        };
        const progress = { current, total, percentage: percentage(current, total) };
        return {
          patch: { progressCurrent: current, progressTotal: total },
          events: [
            {
              type: "agent.progress",
              source: id,
              data: { agentId: id, swarmId: agent.swarmId, progress, cost },
            },
          ],
        };
      }),
    );
  }

  /**
   * Money already spent is a fact, so usage is accepted in every state. It is added to the agent
   * and to every budget above it in the same transaction, as integer micro-USD (or tokens).
   */
  async recordUsage(
    id: string,
    report: UsageReport,
  ): Promise<{ agent: AgentRecord; budgets: BudgetRecord[] }> {
    const usage = parseOrThrow(UsageReportSchema, report, "usage report");
    const costMicros = usdToMicros(usage.costUsd);
    const delta = { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, costMicros };
    const { record, budgets, events } = await this.store.addUsage(id, delta, (agent) => [
      {
        type: "agent.usage",
        source: id,
        data: {
          agentId: id,
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
      },
    ]);
    this.bus.publish(events);
    return { agent: record, budgets };
  }

  /** Adds `amount` (dollars or tokens, in the budget's currency) to a swarm's allocation. */
  async allocateBudget(swarmId: string, amount: number, expectedVersion?: number): Promise<BudgetRecord> {
    if (!Number.isFinite(amount) || amount <= 0) {
      throw new DashError("VALIDATION_ERROR", `amount must be a positive number, got ${amount}`, {
        field: "amount",
      });
    }
    return this.commit(
      this.store.updateBudget("swarm", swarmId, (budget) => {
        checkVersion("budget", budget, expectedVersion);
        const allocatedUnits = budget.allocatedUnits + toUnits(amount, budget.currency);
        const data = {
          swarmId,
          budgetId: budget.id,
          added: amount,
          allocated: fromUnits(allocatedUnits, budget.currency),
          spent: fromUnits(budget.spentUnits, budget.currency),
          currency: budget.currency,
        };
        return { patch: { allocatedUnits }, events: [{ type: "budget.allocated", source: swarmId, data }] };
      }),
    );
  }

  /** Refused state-machine moves since start, by `entity:from->to` (for tests and /metrics). */
  refusedTransitions(): Record<string, number> {
    return Object.fromEntries(this.refused);
  }

  get conflicts(): number {
    return this.conflictCount;
  }

  private async commit<T>(write: Promise<WriteResult<T>>): Promise<T> {
    try {
      const { record, events } = await write;
      this.bus.publish(events);
      return record;
    } catch (error) {
      if (error instanceof InvalidTransitionError) {
        const { entity, from, to } = error.details as { entity: string; from: string; to: string };
        const key = `${entity}:${from}->${to}`;
        this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
      }
      if (error instanceof ConcurrencyConflictError) this.conflictCount++;
      throw error;
    }
  }
}
