import type { AgentRecord } from "../domain/agent.ts";
import type { ApiKeyRecord } from "../domain/api-key.ts";
import type { ApprovalRecord, ApprovalStatus } from "../domain/approval.ts";
import type { ApprovalRuleRecord } from "../domain/approval-rule.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import type { EventRecord, EventType, NewEvent } from "../domain/event.ts";
import type { AgentStatus, SwarmStatus } from "../domain/states.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import type { ChainBudget } from "../safety/budget.ts";
import type { CallStore } from "./call-store.ts";
import type { NotificationStore } from "./notification-store.ts";

/**
 * What the rest of Dash needs from a database. Every write method is ONE atomic transaction that
 * reads the current row, hands it to a pure `decide` function from core/ (which checks the state
 * machine and the version and may throw to refuse), writes the change, and inserts the events with
 * ids assigned in commit order. A PostgreSQL store implements the same methods with
 * `SELECT … FOR UPDATE`; callers do not change. Methods are async for that reason.
 */
export interface Store extends CallStore {
  /** Notification sinks and the outbox the events trigger fills (notification-store.ts). */
  readonly notifications: NotificationStore;
  /**
   * Closes the store at once; resolves when what it ran in the background has ended too (the
   * PostgreSQL pool, the SQLite checkpoint worker). A process about to exit awaits it.
   */
  close(): Promise<void>;
  /** The database's own consistency check (`dash doctor`): empty when sound, else each problem found. */
  checkIntegrity(): Promise<string[]>;
  /** Resolves when the database answers (GET /health), rejects when it does not. */
  ping(): Promise<void>;
  /** What /metrics shows of the database: counts by status, events kept, spend, calls per model. */
  metricsSnapshot(): Promise<MetricsSnapshot>;
  /** This node's heartbeat: its row, made or refreshed (several nodes on one database). */
  heartbeatNode(node: NodeRecord): Promise<void>;
  /** Every node that ever served this database, with the live agents each runs. */
  listNodes(): Promise<NodeState[]>;
  /** The newest committed event's id, or null when there is none (where a live stream begins). */
  lastEventId(): Promise<string | null>;
  /**
   * Calls `wake` when another process may have committed events (PostgreSQL: LISTEN); resolves to
   * what stops it. Absent where one process writes (SQLite): its own commits are all there is.
   */
  onCommit?(wake: () => void): Promise<() => Promise<void>>;

  getSwarm(id: string): Promise<SwarmRecord | null>;
  listSwarms(query?: { status?: SwarmStatus }): Promise<SwarmRecord[]>;
  getAgent(id: string): Promise<AgentRecord | null>;
  listAgents(query?: AgentQuery): Promise<AgentRecord[]>;
  /**
   * The id and row version of each agent `listAgents(query)` would return, in the same order: every
   * change of an agent row raises its version, so a row serialised at a version is still that row
   * (GET /api/agents reuses such rows, see api/agent-pages.ts).
   */
  listAgentVersions(query?: AgentQuery): Promise<AgentVersion[]>;
  /** The agents with these ids, in id order (ids not found are left out). */
  getAgents(ids: readonly string[]): Promise<AgentRecord[]>;
  /**
   * A mark that differs whenever the database may have changed since it was taken (any write, by
   * this process or another), read without touching a table: a cache made under a mark is valid
   * while the mark is unchanged. Absent where that is not cheap to know (PostgreSQL).
   */
  changeMark?(): string;
  getBudget(entityType: BudgetEntity, entityId: string): Promise<BudgetRecord | null>;
  /** `spent`: only budgets something has been spent from (the forecaster samples no other). */
  listBudgets(query?: BudgetQuery): Promise<BudgetRecord[]>;
  listEvents(query?: EventQuery): Promise<EventRecord[]>;
  /** Units the live agents under a budget hold reserved for their next steps. */
  reservedUnits(budget: BudgetRecord): Promise<number>;

  /**
   * Adds a swarm with its budget and first agents; `start`, when given, moves the new swarm on in
   * the same transaction (creating → active), so it is never seen, nor left by a crash, half made.
   */
  insertSwarm(
    swarm: NewSwarm,
    budget: NewBudget,
    agents: NewAgent[],
    events: NewEvent[],
    start?: (created: SwarmRecord) => Change<SwarmPatch>,
  ): Promise<WriteResult<SwarmRecord>>;
  /** Adds an agent; `decide` sees its swarm and, for a child, how deep and how many its parent has. */
  insertAgent(
    agent: NewAgent,
    decide: (swarm: SwarmRecord, parent: Family | null) => NewEvent[],
  ): Promise<WriteResult<AgentRecord>>;
  updateAgent(
    id: string,
    decide: (agent: AgentRecord) => Change<AgentPatch>,
  ): Promise<WriteResult<AgentRecord>>;
  updateSwarm(
    id: string,
    decide: (swarm: SwarmRecord) => Change<SwarmPatch>,
  ): Promise<WriteResult<SwarmRecord>>;
  /**
   * Reads a swarm, ALL its agents and its budget; writes what `decide` says (the swarm, agents
   * added and moved) in one transaction, or nothing when it returns null. Scaling and the
   * strategies' next steps go through here, so concurrent calls see each other's agents.
   */
  changeSwarm(
    id: string,
    decide: (swarm: SwarmRecord, agents: AgentRecord[], budget: BudgetRecord | null) => SwarmChange | null,
  ): Promise<WriteResult<SwarmRecord>>;
  /**
   * Reads an agent and every budget above it (with what their live agents hold reserved) and writes
   * what `decide` says about the agent and those budgets: usage, admission, alerts. One transaction.
   */
  meterAgent(
    id: string,
    decide: (agent: AgentRecord, chain: ChainBudget[]) => MeterChange,
  ): Promise<MeterResult>;
  insertBudget(budget: NewBudget, events: NewEvent[]): Promise<WriteResult<BudgetRecord>>;
  updateBudget(
    entityType: BudgetEntity,
    entityId: string,
    decide: (budget: BudgetRecord) => Change<BudgetPatch>,
  ): Promise<WriteResult<BudgetRecord>>;

  /** Deletes at most `batchSize` events older than `before` or beyond the newest `keepRows`. */
  pruneEvents(options: { before: number; keepRows: number; batchSize: number }): Promise<number>;

  getApproval(id: string): Promise<ApprovalRecord | null>;
  listApprovals(query?: ApprovalQuery): Promise<ApprovalRecord[]>;
  /**
   * Adds an approval; `decide` sees its agent (if any) and says how it changes (it waits paused),
   * or answers it at once (`answer`: a rule's).
   */
  insertApproval(
    approval: NewApproval,
    decide: (agent: AgentRecord | null) => ApprovalAskChange,
  ): Promise<WriteResult<ApprovalRecord>>;
  /** Answers an approval; `decide` also sees how many other questions its agent still waits on. */
  updateApproval(
    id: string,
    decide: (
      approval: ApprovalRecord,
      agent: AgentRecord | null,
      otherPending: number,
      swarmActive: boolean,
    ) => ApprovalChange,
  ): Promise<WriteResult<ApprovalRecord>>;
  /** Standing answers to approval requests (domain/approval-rule.ts), oldest first. */
  listApprovalRules(): Promise<ApprovalRuleRecord[]>;
  /** Adds a rule; a second one for the same swarm and pattern is refused (CONFLICT). */
  insertApprovalRule(rule: ApprovalRuleRecord): Promise<ApprovalRuleRecord>;
  /** Removes a rule; returns it, or null when there was none. */
  deleteApprovalRule(id: string): Promise<ApprovalRuleRecord | null>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  updateApiKey(id: string, patch: { isActive?: boolean; lastUsedAt?: number }): Promise<ApiKeyRecord | null>;
}

export interface NodeRecord {
  id: string;
  name: string;
  url: string | null;
  version: string;
  startedAt: number;
  heartbeatAt: number;
}

export interface NodeState extends NodeRecord {
  /** Its agents that are spawning, running or paused. */
  liveAgents: number;
}

export interface MetricsSnapshot {
  agents: { status: string; n: number }[];
  swarms: { status: string; n: number }[];
  /** Events kept in the database (after retention). */
  events: number;
  /** Each swarm that is not destroyed, with its budget. */
  spend: { id: string; name: string; currency: "USD" | "tokens"; spent: number; allocated: number }[];
  /** Gateway calls by model and outcome. */
  calls: { model: string; status: string; n: number; prompt: number; completion: number; cost: number }[];
}

export interface BudgetQuery {
  entityType?: BudgetEntity;
  entityId?: string;
  spent?: boolean;
}

export interface AgentVersion {
  id: string;
  version: number;
}

export interface AgentQuery {
  swarmId?: string;
  status?: AgentStatus;
  parentId?: string;
  /** Only agents held by their budget. */
  held?: boolean;
  /** Agents with an id greater than this one (cursor pagination in id order). */
  afterId?: string;
  limit?: number;
}

export interface ApprovalQuery {
  status?: ApprovalStatus;
  swarmId?: string;
  agentId?: string;
  /** Only those whose deadline is at or before this time. */
  expiredAt?: number;
  /** Only those asked at or before this time. */
  createdBefore?: number;
  /** false: only those not escalated yet. */
  escalated?: boolean;
  limit?: number;
}

export interface EventQuery {
  afterId?: string;
  since?: number;
  types?: EventType[];
  limit?: number;
}

export interface WriteResult<T> {
  record: T;
  events: EventRecord[];
}

export interface MeterResult extends WriteResult<AgentRecord> {
  budgets: BudgetRecord[];
}

export interface Change<P> {
  patch: P;
  events: NewEvent[];
}

export interface SwarmChange extends Change<SwarmPatch> {
  added: NewAgent[];
  stopped: { agent: AgentRecord; change: Change<AgentPatch> }[];
}

export interface MeterChange {
  agent: AgentPatch;
  budgets: { budget: BudgetRecord; patch: BudgetPatch }[];
  events: NewEvent[];
}

export type NewApproval = Omit<
  ApprovalRecord,
  "status" | "reason" | "resolvedBy" | "resolvedAt" | "escalatedAt" | "updatedAt" | "version"
>;
export type ApprovalPatch = Partial<
  Pick<ApprovalRecord, "status" | "reason" | "resolvedBy" | "resolvedAt" | "details" | "escalatedAt">
>;

export interface ApprovalAskChange {
  agent?: AgentPatch;
  events: NewEvent[];
  /** Answered as it is asked (by a rule): the row is inserted answered. */
  answer?: ApprovalPatch;
}

export interface ApprovalChange extends Change<ApprovalPatch> {
  agent?: AgentPatch;
}

export interface Family {
  depth: number;
  children: number;
}

export type NewSwarm = Omit<SwarmRecord, "agentCount" | "version">;
export type NewAgent = Omit<AgentRecord, "version">;
export type NewBudget = Omit<
  BudgetRecord,
  "version" | "spentUnits" | "burnRate" | "projectedFinalUnits" | "lastAlertAt" | "alertLevel" | "forecast"
>;

export type AgentPatch = Partial<
  Pick<
    AgentRecord,
    | "status"
    | "progressCurrent"
    | "progressTotal"
    | "sessionId"
    | "metadata"
    | "result"
    | "error"
    | "startedAt"
    | "completedAt"
    | "retryCount"
    | "logOffset"
    | "pid"
    | "exitCode"
    | "reservedUnits"
    | "heldBy"
    | "sandbox"
    | "metering"
    | "nodeId"
    | "promptTokens"
    | "completionTokens"
    | "costMicros"
  >
>;
export type SwarmPatch = Partial<
  Pick<SwarmRecord, "status" | "targetAgentCount" | "result" | "completedAt" | "config" | "heldBy">
>;
export type BudgetPatch = Partial<
  Pick<
    BudgetRecord,
    | "allocatedUnits"
    | "warningThreshold"
    | "criticalThreshold"
    | "hardStopThreshold"
    | "warningAction"
    | "criticalAction"
    | "hardStopAction"
    | "lastAlertAt"
    | "burnRate"
    | "projectedFinalUnits"
    | "alertLevel"
    | "forecast"
    | "spentUnits"
  >
>;
