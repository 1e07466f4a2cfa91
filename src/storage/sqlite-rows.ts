import type { AgentRecord, AgentRole, Metering } from "../domain/agent.ts";
import type { EventRecord, EventType } from "../domain/event.ts";
import type { AgentStatus, SwarmStatus } from "../domain/states.ts";
import type { Strategy, SwarmConfig, SwarmPlanSpec, SwarmRecord } from "../domain/swarm.ts";
import type { NewAgent, NewSwarm } from "./store.ts";

/** Rows as SQLite returns them, and their mapping to the domain records (snake_case ↔ camelCase, JSON). */
export type Row = Record<string, string | number | null>;

export const str = (v: unknown): string => v as string;
export const num = (v: unknown): number => v as number;
export const numOrNull = (v: unknown): number | null => (v === null ? null : (v as number));
export const json = (v: unknown): unknown => (v === null ? null : JSON.parse(v as string));
export const toJson = (v: unknown): string | null =>
  v === null || v === undefined ? null : JSON.stringify(v);

export function agentFromRow(r: Row): AgentRecord {
  return {
    id: str(r.id),
    name: str(r.name),
    status: r.status as AgentStatus,
    swarmId: str(r.swarm_id),
    parentId: r.parent_id === null ? null : str(r.parent_id),
    task: str(r.task),
    model: str(r.model),
    progressCurrent: num(r.progress_current),
    progressTotal: num(r.progress_total),
    promptTokens: num(r.cost_prompt_tokens),
    completionTokens: num(r.cost_completion_tokens),
    costMicros: num(r.cost_micros),
    sessionId: r.session_id === null ? null : str(r.session_id),
    metadata: json(r.metadata) as Record<string, unknown>,
    result: json(r.result),
    error: json(r.error),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    startedAt: numOrNull(r.started_at),
    completedAt: numOrNull(r.completed_at),
    retryCount: num(r.retry_count),
    maxRetries: num(r.max_retries),
    logOffset: num(r.log_offset),
    pid: numOrNull(r.pid),
    exitCode: numOrNull(r.exit_code),
    role: r.role as AgentRole,
    position: num(r.position),
    input: r.input === null ? null : str(r.input),
    reservedUnits: num(r.reserved_units),
    heldBy: r.held_by === null ? null : str(r.held_by),
    sandbox: r.sandbox === null || r.sandbox === undefined ? null : str(r.sandbox),
    metering: r.metering === null || r.metering === undefined ? null : (str(r.metering) as Metering),
    nodeId: r.node_id === null || r.node_id === undefined ? null : str(r.node_id),
    version: num(r.version),
  };
}

export function swarmFromRow(r: Row): SwarmRecord {
  return {
    id: str(r.id),
    name: str(r.name),
    status: r.status as SwarmStatus,
    task: str(r.task),
    strategy: r.strategy as Strategy,
    config: json(r.config) as SwarmConfig,
    agentCount: num(r.agent_count),
    targetAgentCount: numOrNull(r.target_agent_count),
    plan: json(r.plan) as SwarmPlanSpec,
    result: json(r.result),
    heldBy: r.held_by === null ? null : str(r.held_by),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    completedAt: numOrNull(r.completed_at),
    version: num(r.version),
  };
}

export function eventFromRow(r: Row): EventRecord {
  return {
    id: str(r.id),
    timestamp: num(r.timestamp),
    type: r.type as EventType,
    source: str(r.source),
    data: json(r.data) as Record<string, unknown>,
  };
}

/** Record field → column, with a converter for JSON columns. Used to build UPDATE … SET lists. */
export const AGENT_COLUMNS: Record<string, [string, ((v: unknown) => unknown)?]> = {
  status: ["status"],
  progressCurrent: ["progress_current"],
  progressTotal: ["progress_total"],
  sessionId: ["session_id"],
  metadata: ["metadata", toJson],
  result: ["result", toJson],
  error: ["error", toJson],
  startedAt: ["started_at"],
  completedAt: ["completed_at"],
  retryCount: ["retry_count"],
  logOffset: ["log_offset"],
  pid: ["pid"],
  exitCode: ["exit_code"],
  reservedUnits: ["reserved_units"],
  heldBy: ["held_by"],
  sandbox: ["sandbox"],
  metering: ["metering"],
  nodeId: ["node_id"],
  promptTokens: ["cost_prompt_tokens"],
  completionTokens: ["cost_completion_tokens"],
  costMicros: ["cost_micros"],
};

export const SWARM_COLUMNS: Record<string, [string, ((v: unknown) => unknown)?]> = {
  status: ["status"],
  targetAgentCount: ["target_agent_count"],
  result: ["result", toJson],
  completedAt: ["completed_at"],
  config: ["config", toJson],
  heldBy: ["held_by"],
};

/** The reverse mappings, for INSERT: column name → value. */
export function agentToRow(a: NewAgent): Row {
  return {
    id: a.id,
    name: a.name,
    status: a.status,
    swarm_id: a.swarmId,
    parent_id: a.parentId,
    task: a.task,
    model: a.model,
    progress_current: a.progressCurrent,
    progress_total: a.progressTotal,
    cost_prompt_tokens: a.promptTokens,
    cost_completion_tokens: a.completionTokens,
    cost_micros: a.costMicros,
    session_id: a.sessionId,
    metadata: JSON.stringify(a.metadata),
    result: toJson(a.result),
    error: toJson(a.error),
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    started_at: a.startedAt,
    completed_at: a.completedAt,
    retry_count: a.retryCount,
    max_retries: a.maxRetries,
    role: a.role,
    position: a.position,
    input: a.input,
    reserved_units: a.reservedUnits,
    held_by: a.heldBy,
    sandbox: a.sandbox,
    metering: a.metering,
    node_id: a.nodeId,
  };
}

export function swarmToRow(s: NewSwarm): Row {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    task: s.task,
    strategy: s.strategy,
    config: JSON.stringify(s.config),
    plan: JSON.stringify(s.plan),
    held_by: s.heldBy,
    target_agent_count: s.targetAgentCount,
    result: toJson(s.result),
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    completed_at: s.completedAt,
  };
}
