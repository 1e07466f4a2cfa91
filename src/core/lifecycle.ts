import type { EventBus } from "../bus/bus.ts";
import {
  type AgentRecord,
  type ProgressReport,
  ProgressReportSchema,
  type UsageReport,
  UsageReportSchema,
} from "../domain/agent.ts";
import type { ApprovalRecord } from "../domain/approval.ts";
import type { ApprovalSettings } from "../domain/approval-context.ts";
import { type BudgetInput, BudgetInputSchema, type BudgetRecord, type Currency } from "../domain/budget.ts";
import { ConcurrencyConflictError, DashError, InvalidTransitionError } from "../domain/errors.ts";
import type { EventRecord, EventType } from "../domain/event.ts";
import type { CallEnd, NewModelCall } from "../domain/model-call.ts";
import { usdToMicros } from "../domain/money.ts";
import {
  type CreateSwarm,
  type CreateSwarmInput,
  CreateSwarmSchema,
  type SwarmRecord,
} from "../domain/swarm.ts";
import { parseOrThrow } from "../domain/validate.ts";
import type { CallAsk } from "../safety/call-admission.ts";
import type { CallAdmitted, CallSettled } from "../storage/call-store.ts";
import type { BudgetPatch, Change, NewBudget, Store, WriteResult } from "../storage/store.ts";
import { decideAdvance } from "./advance.ts";
import { gatherContext } from "./approval-context.ts";
import { decideEscalation, timeoutAnswer } from "./approval-deadlines.ts";
import { matchingRule } from "./approval-rules.ts";
import { type Answer, type ApprovalAsk, decideAnswer, decideAsk, draftApproval } from "./approvals.ts";
import { type BudgetTarget, budgetEntity, firstBudget, projectBudgetId } from "./budget-targets.ts";
import { decideRelease, decideStart, decideUsage } from "./metering.ts";
import { type AdmissionDecision, decideCallAdmission, decideCallSettlement } from "./model-calls.ts";
import { assertBudgetLeft, decideAllocation, decideProgress } from "./reports.ts";
import { checkTarget, decideScale } from "./scale.ts";
import { checkPlannedAgents, decideSpawn, draftSpawn, planSwarm, type SpawnAgentInput } from "./swarm.ts";
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
  /** Tree caps for swarms that do not set their own (config swarms.maxDepth / maxChildren). */
  maxDepth?: number;
  maxChildren?: number;
  /**
   * Where committed events go: straight to the bus (one writer: SQLite), or through a feed that
   * publishes them from the table in commit order (several writers: PostgreSQL, see TableFeed).
   */
  feed?: { committed(events: EventRecord[]): Promise<void> };
}

/**
 * THE write path (DESIGN.md §3). Every change of state of an agent, swarm or budget goes through
 * one of these methods: each is one transaction in the store that checks the state machine and the
 * row version, writes the row and its event(s); the events reach the bus only after COMMIT.
 */
export type { BudgetTarget, SpawnAgentInput };

export class Lifecycle {
  private readonly refused = new Map<string, number>();
  private conflictCount = 0;
  private readonly now: () => number;
  private parsedDefaultBudget: BudgetInput | undefined;

  constructor(
    readonly store: Store,
    readonly bus: EventBus,
    private readonly options: LifecycleOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * A new swarm with its budget and first agents; `start` also moves it to active in the same
   * transaction (POST /api/swarm: one commit, and no swarm is ever left `creating` by a crash).
   */
  async createSwarm(
    input: CreateSwarmInput,
    options: { start?: boolean } = {},
  ): Promise<{ swarm: SwarmRecord; agents: AgentRecord[]; budget: NewBudget }> {
    return this.createParsedSwarm(parseOrThrow(CreateSwarmSchema, input, "swarm"), options);
  }

  /** createSwarm for input CreateSwarmSchema already parsed (the route's body: not parsed twice). */
  async createParsedSwarm(
    parsed: CreateSwarm,
    options: { start?: boolean } = {},
  ): Promise<{ swarm: SwarmRecord; agents: AgentRecord[]; budget: NewBudget }> {
    const parent = parsed.budget?.project
      ? await projectBudgetId(this.store, parsed.budget.project, parsed.budget.currency)
      : null;
    const plan = planSwarm(parsed, this.defaultBudget(), this.now(), parent);
    checkPlannedAgents(parsed, plan.agents.length, this.max);
    const start = options.start
      ? (created: SwarmRecord) => decideSwarmMove(created, { to: "active" }, this.now())
      : undefined;
    const swarm = await this.commit(
      this.store.insertSwarm(plan.swarm, plan.budget, plan.agents, plan.events, start),
    );
    const agents = plan.agents.map((a) => ({ ...a, version: 1 }));
    return { swarm, agents, budget: plan.budget };
  }

  /** Adds an idle agent to a live swarm, within the per-swarm cap and tree caps (checked inside the transaction). */
  async spawnAgent(input: SpawnAgentInput): Promise<AgentRecord> {
    const swarm = await this.store.getSwarm(input.swarmId);
    assertBudgetLeft(input.swarmId, await this.store.getBudget("swarm", input.swarmId));
    const agent = draftSpawn(input, swarm, this.now());
    const caps = {
      max: this.max,
      maxDepth: this.options.maxDepth ?? 3,
      maxChildren: this.options.maxChildren ?? 10,
    };
    return this.commit(
      this.store.insertAgent(agent, (current, parent) => decideSpawn(current, agent, caps, parent)),
    );
  }

  async moveAgent(id: string, move: AgentMove): Promise<AgentRecord> {
    return this.commit(this.store.updateAgent(id, (agent) => decideAgentMove(agent, move, this.now())));
  }

  async moveSwarm(id: string, move: SwarmMove): Promise<SwarmRecord> {
    return this.commit(this.store.updateSwarm(id, (swarm) => decideSwarmMove(swarm, move, this.now())));
  }

  /** Scales a swarm to `target` unfinished agents (adds idle ones or kills the surplus), atomically. */
  async scaleSwarm(id: string, target: number, expectedVersion?: number): Promise<SwarmRecord> {
    const max = this.max;
    checkTarget(target, max);
    return this.commit(
      this.store.changeSwarm(id, (swarm, agents, budget) =>
        decideScale(swarm, agents, budget, { target, max, now: this.now(), expectedVersion }),
      ),
    );
  }

  /** The swarm's next step by its strategy: add the agents now ready, or finish it (see decideAdvance). */
  async advanceSwarm(id: string): Promise<SwarmRecord> {
    return this.commit(
      this.store.changeSwarm(id, (swarm, agents, budget) => decideAdvance(swarm, agents, budget, this.now())),
    );
  }

  /** Starts (or retries) an agent: the move and the reservation of its first step, or BUDGET_EXCEEDED. */
  async startAgent(id: string, move: AgentMove): Promise<AgentRecord> {
    return this.meter(id, (agent, chain) => decideStart(agent, chain, move, this.now()));
  }

  /** Lets an agent held by its budget go on, if its budgets have room for a step now. */
  async releaseAgent(id: string): Promise<AgentRecord> {
    return this.meter(id, (agent, chain) => decideRelease(agent, chain, this.now()));
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
   * and to every budget above it in the same transaction, as integer micro-USD (or tokens), which
   * also settles the step's reservation and reserves the next one: `admitted` is false when there
   * is no room for it (a running agent is then held, paused, until there is).
   */
  async recordUsage(
    id: string,
    report: UsageReport,
    logOffset?: number,
  ): Promise<{ agent: AgentRecord; budgets: BudgetRecord[]; admitted: boolean }> {
    const usage = parseOrThrow(UsageReportSchema, report, "usage report");
    const costMicros = usdToMicros(usage.costUsd);
    let admitted = true;
    const { record, budgets, events } = await this.store.meterAgent(id, (agent, chain) => {
      const change = decideUsage(agent, chain, usage, costMicros, this.now(), logOffset);
      admitted = change.admitted;
      return change;
    });
    await this.announce(events);
    return { agent: record, budgets, admitted };
  }

  /**
   * Admits a gateway call before it is forwarded: its worst case reserved on the agent's budget
   * chain, or refused (a refusal for money kills the agent in the same transaction). Null `result`
   * means wait: only other calls' reservations are in the way (the gateway asks again).
   */
  async admitCall(
    call: NewModelCall,
    ask: CallAsk,
    final: boolean,
  ): Promise<{ result: CallAdmitted | null; decision: AdmissionDecision }> {
    let decision: AdmissionDecision = { change: null, grant: { kind: "wait" } };
    const result = await this.store.admitCall(call, (agent, chain) => {
      decision = decideCallAdmission(agent, chain, ask, final, this.now());
      return decision.change;
    });
    if (result) await this.announce(result.events);
    return { result, decision };
  }

  /** Closes an open gateway call: its usage is spent on the agent and its budgets, its hold released. */
  async settleCall(id: string, end: CallEnd): Promise<CallSettled> {
    const settled = await this.store.settleCall(id, (call, agent, chain) =>
      decideCallSettlement(call, agent, chain, end),
    );
    await this.announce(settled.events);
    return settled;
  }

  /** Adds `amount` (in the budget's currency) to a swarm's, an agent's or a project's budget, creating the latter two. */
  async allocateBudget(
    target: BudgetTarget,
    amount: number,
    expectedVersion?: number,
  ): Promise<BudgetRecord> {
    if (!Number.isFinite(amount) || amount <= 0) {
      throw new DashError("VALIDATION_ERROR", `amount must be a positive number, got ${amount}`, {
        field: "amount",
      });
    }
    const [entityType, entityId] = await budgetEntity(this.store, target);
    if (entityType !== "swarm" && !(await this.store.getBudget(entityType, entityId))) {
      const { budget, event } = await firstBudget(
        this.store,
        [entityType, entityId],
        target,
        amount,
        this.now(),
      );
      return this.commit(this.store.insertBudget(budget, [event])).catch(async (error) => {
        if (!String(error).includes("UNIQUE")) throw error;
        return this.allocateBudget(target, amount, expectedVersion); // made meanwhile: add to it
      });
    }
    return this.commit(
      this.store.updateBudget(entityType, entityId, (budget) =>
        decideAllocation(budget, amount, expectedVersion),
      ),
    );
  }

  /** Writes a budget's burn rate and projection (see safety/forecast.ts). */
  async updateBudget(
    budget: BudgetRecord,
    decide: (b: BudgetRecord) => Change<BudgetPatch>,
  ): Promise<BudgetRecord> {
    return this.commit(this.store.updateBudget(budget.entityType, budget.entityId, decide));
  }

  /** Records what happened to a swarm beside its state (a merge of its branches) as its event. */
  async noteSwarm(id: string, type: EventType, data: Record<string, unknown>): Promise<SwarmRecord> {
    const events = [{ type, source: id, data: { swarmId: id, ...data } }];
    return this.commit(this.store.updateSwarm(id, () => ({ patch: {}, events })));
  }

  /** config `approvals` (set by startApp): the timeout action of requests that name none. */
  approvalSettings: ApprovalSettings = { onTimeout: "deny" };

  /**
   * Raises an approval request with its context (core/approval-context.ts): a matching rule
   * answers it at once, else a running agent it is about waits paused (core/approvals.ts).
   */
  async requestApproval(ask: ApprovalAsk): Promise<ApprovalRecord> {
    const approval = draftApproval(ask, this.now(), this.approvalSettings.onTimeout);
    const { context, swarmId } = await gatherContext(this.store, approval, ask.home);
    Object.assign(approval, { context, swarmId });
    const rule = await matchingRule(this.store, approval);
    return this.commit(this.store.insertApproval(approval, decideAsk(approval, this.now(), rule)));
  }

  /** Approves or denies a pending request; its agent goes on. */
  async answerApproval(id: string, answer: Answer): Promise<ApprovalRecord> {
    return this.commit(this.store.updateApproval(id, decideAnswer(answer, this.now())));
  }

  /** A request nobody answered in time: its `onTimeout` applies (deny, approve, or kill its agent). */
  async timeOutApproval(approval: ApprovalRecord): Promise<ApprovalRecord> {
    return this.answerApproval(approval.id, timeoutAnswer(approval));
  }

  /** `approval.escalated` for a request unanswered `afterSeconds`, once (approval-deadlines.ts). */
  async escalateApproval(id: string, afterSeconds: number): Promise<ApprovalRecord> {
    return this.commit(this.store.updateApproval(id, decideEscalation(this.now(), afterSeconds)));
  }

  /** Refused state-machine moves since start, by `entity:from->to` (for tests and /metrics). */
  refusedTransitions(): Record<string, number> {
    return Object.fromEntries(this.refused);
  }

  get conflicts(): number {
    return this.conflictCount;
  }

  /** The configured default budget, parsed on first use: it is the same on every create. */
  private defaultBudget(): BudgetInput {
    this.parsedDefaultBudget ??= BudgetInputSchema.parse(
      this.options.defaultBudget ?? { amount: 10, currency: "USD" },
    );
    return this.parsedDefaultBudget;
  }

  private get max(): number {
    return this.options.maxAgentsPerSwarm ?? 100;
  }

  private async meter(id: string, decide: Parameters<Store["meterAgent"]>[1]): Promise<AgentRecord> {
    const { record, events } = await this.store.meterAgent(id, decide);
    await this.announce(events);
    return record;
  }

  /**
   * Committed events, to the bus directly or through the feed; either way they are on this node's
   * bus when the write method returns (a caller may read what it published, as with one writer).
   */
  private async announce(events: EventRecord[]): Promise<void> {
    if (this.options.feed) await this.options.feed.committed(events);
    else this.bus.publish(events);
  }

  private async commit<T>(write: Promise<WriteResult<T>>): Promise<T> {
    try {
      const { record, events } = await write;
      await this.announce(events);
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
