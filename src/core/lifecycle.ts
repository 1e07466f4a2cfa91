import type { EventBus } from "../bus/bus.ts";
import {
  type AgentRecord,
  type ProgressReport,
  ProgressReportSchema,
  type UsageReport,
  UsageReportSchema,
} from "../domain/agent.ts";
import type { BudgetRecord, Currency } from "../domain/budget.ts";
import { ConcurrencyConflictError, DashError, InvalidTransitionError } from "../domain/errors.ts";
import { usdToMicros } from "../domain/money.ts";
import { type CreateSwarmInput, CreateSwarmSchema, type SwarmRecord } from "../domain/swarm.ts";
import { parseOrThrow } from "../domain/validate.ts";
import type { Store, WriteResult } from "../storage/store.ts";
import { assertBudgetLeft, decideAllocation, decideProgress, usageEvent } from "./reports.ts";
import { decideScale } from "./scale.ts";
import { decideSpawn, draftAgent, planSwarm } from "./swarm.ts";
import {
  type AgentMove,
  type AgentRun,
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
    assertBudgetLeft(input.swarmId, await this.store.getBudget("swarm", input.swarmId));
    const agent = draftAgent(
      {
        swarmId: input.swarmId,
        name: input.name,
        namePrefix: swarm?.name,
        task: input.task ?? swarm?.task ?? "",
        model: input.model ?? swarm?.config.model ?? "",
        maxRetries: swarm?.config.maxRetries ?? 3,
        parentId: input.parentId ?? null,
        metadata: input.metadata ?? {},
      },
      this.now(),
    );
    const max = this.options.maxAgentsPerSwarm ?? 100;
    return this.commit(this.store.insertAgent(agent, (current) => decideSpawn(current, agent, max)));
  }

  async moveAgent(id: string, move: AgentMove): Promise<AgentRecord> {
    return this.commit(this.store.updateAgent(id, (agent) => decideAgentMove(agent, move, this.now())));
  }

  async moveSwarm(id: string, move: SwarmMove): Promise<SwarmRecord> {
    return this.commit(this.store.updateSwarm(id, (swarm) => decideSwarmMove(swarm, move, this.now())));
  }

  /** Scales a swarm to `target` unfinished agents (adds idle ones or kills the surplus), atomically. */
  async scaleSwarm(id: string, target: number, expectedVersion?: number): Promise<SwarmRecord> {
    const max = this.options.maxAgentsPerSwarm ?? 100;
    if (!Number.isInteger(target) || target < 0 || target > max) {
      throw new DashError(
        "VALIDATION_ERROR",
        `target must be a whole number from 0 to ${max}, got ${target}`,
        {
          field: "target",
          max,
        },
      );
    }
    return this.commit(
      this.store.scaleSwarm(id, (swarm, unfinished, budget) =>
        decideScale(swarm, unfinished, budget, { target, max, now: this.now(), expectedVersion }),
      ),
    );
  }

  async reportProgress(
    id: string,
    report: ProgressReport,
    expectedVersion?: number,
    run?: AgentRun,
  ): Promise<AgentRecord> {
    const progress = parseOrThrow(ProgressReportSchema, report, "progress report");
    return this.commit(
      this.store.updateAgent(id, (agent) => {
        const change = decideProgress(agent, progress, expectedVersion);
        return { ...change, patch: { ...change.patch, ...run } };
      }),
    );
  }

  /**
   * What a run says without changing state: its session id, its latest result, how far its log
   * has been read. No event: these show up with the move that ends the run.
   */
  async noteRun(id: string, note: AgentRun & { sessionId?: string; result?: unknown }): Promise<AgentRecord> {
    return this.commit(this.store.updateAgent(id, () => ({ patch: note, events: [] })));
  }

  /**
   * Money already spent is a fact, so usage is accepted in every state. It is added to the agent
   * and to every budget above it in the same transaction, as integer micro-USD (or tokens).
   */
  async recordUsage(
    id: string,
    report: UsageReport,
    logOffset?: number,
  ): Promise<{ agent: AgentRecord; budgets: BudgetRecord[] }> {
    const usage = parseOrThrow(UsageReportSchema, report, "usage report");
    const costMicros = usdToMicros(usage.costUsd);
    const delta = { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, costMicros };
    const { record, budgets, events } = await this.store.addUsage(
      id,
      delta,
      (agent) => [usageEvent(agent, usage, costMicros)],
      logOffset,
    );
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
      this.store.updateBudget("swarm", swarmId, (budget) =>
        decideAllocation(budget, amount, expectedVersion),
      ),
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
