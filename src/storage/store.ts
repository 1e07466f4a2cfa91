import type { AgentRecord } from "../domain/agent.ts";
import type { ApiKeyRecord } from "../domain/api-key.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import type { EventRecord, EventType, NewEvent } from "../domain/event.ts";
import type { AgentStatus, SwarmStatus } from "../domain/states.ts";
import type { SwarmRecord } from "../domain/swarm.ts";

/**
 * What the rest of Dash needs from a database. Every write method is ONE atomic transaction that
 * reads the current row, hands it to a pure `decide` function from core/ (which checks the state
 * machine and the version and may throw to refuse), writes the change, and inserts the events with
 * ids assigned in commit order. A PostgreSQL store implements the same methods with
 * `SELECT … FOR UPDATE`; callers do not change. Methods are async for that reason.
 */
export interface Store {
  close(): void;

  getSwarm(id: string): Promise<SwarmRecord | null>;
  listSwarms(query?: { status?: SwarmStatus }): Promise<SwarmRecord[]>;
  getAgent(id: string): Promise<AgentRecord | null>;
  listAgents(query?: AgentQuery): Promise<AgentRecord[]>;
  getBudget(entityType: BudgetEntity, entityId: string): Promise<BudgetRecord | null>;
  listBudgets(query?: { entityType?: BudgetEntity; entityId?: string }): Promise<BudgetRecord[]>;
  listEvents(query?: EventQuery): Promise<EventRecord[]>;

  insertSwarm(
    swarm: NewSwarm,
    budget: NewBudget,
    agents: NewAgent[],
    events: NewEvent[],
  ): Promise<WriteResult<SwarmRecord>>;
  insertAgent(agent: NewAgent, decide: (swarm: SwarmRecord) => NewEvent[]): Promise<WriteResult<AgentRecord>>;
  updateAgent(
    id: string,
    decide: (agent: AgentRecord) => Change<AgentPatch>,
  ): Promise<WriteResult<AgentRecord>>;
  updateSwarm(
    id: string,
    decide: (swarm: SwarmRecord) => Change<SwarmPatch>,
  ): Promise<WriteResult<SwarmRecord>>;
  /** Scales a swarm: reads it, its unfinished agents and budget, adds and stops agents, one transaction. */
  scaleSwarm(
    id: string,
    decide: (swarm: SwarmRecord, unfinished: AgentRecord[], budget: BudgetRecord | null) => ScaleChange,
  ): Promise<WriteResult<SwarmRecord>>;
  /** Adds usage to the agent and, with `+=`, to every budget above it (agent, swarm, project…). */
  addUsage(
    id: string,
    usage: UsageDelta,
    decide: (agent: AgentRecord) => NewEvent[],
    logOffset?: number,
  ): Promise<UsageResult>;
  updateBudget(
    entityType: BudgetEntity,
    entityId: string,
    decide: (budget: BudgetRecord) => Change<BudgetPatch>,
  ): Promise<WriteResult<BudgetRecord>>;

  /** Deletes at most `batchSize` events older than `before` or beyond the newest `keepRows`. */
  pruneEvents(options: { before: number; keepRows: number; batchSize: number }): Promise<number>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  updateApiKey(id: string, patch: { isActive?: boolean; lastUsedAt?: number }): Promise<ApiKeyRecord | null>;
}

export interface AgentQuery {
  swarmId?: string;
  status?: AgentStatus;
  parentId?: string;
  /** Agents with an id greater than this one (cursor pagination in id order). */
  afterId?: string;
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

export interface UsageResult extends WriteResult<AgentRecord> {
  budgets: BudgetRecord[];
}

export interface Change<P> {
  patch: P;
  events: NewEvent[];
}

export interface ScaleChange extends Change<SwarmPatch> {
  added: NewAgent[];
  stopped: { agent: AgentRecord; change: Change<AgentPatch> }[];
}

export interface UsageDelta {
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
}

export type NewSwarm = Omit<SwarmRecord, "agentCount" | "version">;
export type NewAgent = Omit<AgentRecord, "version">;
export type NewBudget = Omit<
  BudgetRecord,
  "version" | "spentUnits" | "burnRate" | "projectedFinalUnits" | "lastAlertAt"
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
  >
>;
export type SwarmPatch = Partial<
  Pick<SwarmRecord, "status" | "targetAgentCount" | "result" | "completedAt" | "config">
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
  >
>;
