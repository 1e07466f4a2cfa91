import type { AgentRecord } from "../domain/agent.ts";
import { ConcurrencyConflictError, DashError, InvalidTransitionError } from "../domain/errors.ts";
import type { EventType } from "../domain/event.ts";
import {
  type AgentStatus,
  canMoveAgent,
  canMoveSwarm,
  FINISHED_AGENT_STATUSES,
  FINISHED_SWARM_STATUSES,
  type SwarmStatus,
} from "../domain/states.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import type { AgentPatch, Change, SwarmPatch } from "../storage/store.ts";

/**
 * The pure decisions of the write path: given the row as it is inside the transaction, either
 * refuse (throw) or say what to write and which one event records it.
 */
export interface AgentMove {
  to: AgentStatus;
  expectedVersion?: number;
  sessionId?: string;
  result?: unknown;
  error?: unknown;
  reason?: string;
  /** Who its attempt runs as, when not the server's user (a root server's agents), for the event. */
  user?: string;
  /** What the operator must hear about the attempt (an unconfined agent of a root server). */
  warning?: string;
  /**
   * The node the move is made for (a run it follows): refused when another node owns the agent
   * now (it was taken over), in the same transaction, so a node that lost its lease cannot settle
   * the attempt another node runs.
   */
  owner?: string;
  /** What the supervisor records with the move (not in the event): see AgentRun. */
  run?: AgentRun;
  /** "budget" when a budget holds the agent paused; a resume lets go of the hold. */
  heldBy?: string | null;
}

/** Process bookkeeping the supervisor writes in the same transaction as a move or a report. */
export type AgentRun = Pick<AgentPatch, "logOffset" | "pid" | "exitCode" | "sandbox" | "metering" | "nodeId">;

export function agentEventType(from: AgentStatus, to: AgentStatus): EventType {
  if (to === "spawning") return from === "failed" ? "agent.retrying" : "agent.starting";
  if (to === "running") return from === "paused" ? "agent.resumed" : "agent.started";
  return `agent.${to}` as EventType;
}

export function swarmEventType(from: SwarmStatus, to: SwarmStatus): EventType {
  if (to === "active") return from === "paused" ? "swarm.resumed" : "swarm.started";
  return `swarm.${to}` as EventType;
}

export function checkVersion(
  entity: string,
  current: { id: string; version: number },
  expected?: number,
): void {
  if (expected !== undefined && current.version !== expected) {
    throw new ConcurrencyConflictError(entity, current.id, expected, current.version);
  }
}

export function decideAgentMove(agent: AgentRecord, move: AgentMove, now: number): Change<AgentPatch> {
  const { status: from } = agent;
  const { to } = move;
  checkVersion("agent", agent, move.expectedVersion);
  if (!canMoveAgent(from, to)) throw new InvalidTransitionError("agent", agent.id, from, to);
  if (move.owner && agent.nodeId !== null && agent.nodeId !== move.owner) {
    throw new DashError(
      "CONFLICT",
      `agent ${agent.id} is run by node ${agent.nodeId} now, not ${move.owner}`,
      {
        owner: agent.nodeId,
      },
    );
  }
  const retry = from === "failed" && to === "spawning";
  if (retry && agent.retryCount >= agent.maxRetries) {
    throw new InvalidTransitionError(
      "agent",
      agent.id,
      from,
      to,
      `no retries left (${agent.retryCount}/${agent.maxRetries})`,
    );
  }
  const patch: AgentPatch = { status: to };
  if (retry) Object.assign(patch, { retryCount: agent.retryCount + 1, completedAt: null, error: null });
  if (to === "running" && agent.startedAt === null) patch.startedAt = now;
  if (move.sessionId !== undefined) patch.sessionId = move.sessionId;
  if (FINISHED_AGENT_STATUSES.has(to)) patch.completedAt = now;
  if (move.result !== undefined) patch.result = move.result;
  if (move.error !== undefined) patch.error = move.error;
  Object.assign(patch, move.run);
  // Its model calls go through the gateway, which reserves per call: no step is held for it.
  if (move.run?.metering === "gateway") patch.reservedUnits = 0;
  if (move.heldBy !== undefined) patch.heldBy = move.heldBy;
  else if (to === "running" && from === "paused") patch.heldBy = null;
  const data: Record<string, unknown> = {
    agentId: agent.id,
    swarmId: agent.swarmId,
    name: agent.name,
    status: to,
    previousStatus: from,
  };
  if (retry) data.retryCount = agent.retryCount + 1;
  if (move.run?.sandbox !== undefined) data.sandbox = move.run.sandbox;
  if (move.run?.metering !== undefined) data.metering = move.run.metering;
  for (const key of ["sessionId", "result", "error", "reason", "user", "warning"] as const) {
    if (move[key] !== undefined) data[key] = move[key];
  }
  return { patch, events: [{ type: agentEventType(from, to), source: agent.id, data }] };
}

export interface SwarmMove {
  to: SwarmStatus;
  expectedVersion?: number;
  result?: unknown;
  reason?: string;
  /** "budget" when a budget action pauses the swarm; resuming lets go of the hold. */
  heldBy?: string | null;
}

export function decideSwarmMove(swarm: SwarmRecord, move: SwarmMove, now: number): Change<SwarmPatch> {
  const { status: from } = swarm;
  const { to } = move;
  checkVersion("swarm", swarm, move.expectedVersion);
  if (!canMoveSwarm(from, to)) throw new InvalidTransitionError("swarm", swarm.id, from, to);
  const patch: SwarmPatch = { status: to };
  if (FINISHED_SWARM_STATUSES.has(to) && swarm.completedAt === null) patch.completedAt = now;
  if (move.result !== undefined) patch.result = move.result;
  if (move.heldBy !== undefined) patch.heldBy = move.heldBy;
  else if (to === "active" && from === "paused") patch.heldBy = null;
  const data: Record<string, unknown> = {
    swarmId: swarm.id,
    name: swarm.name,
    status: to,
    previousStatus: from,
  };
  if (move.result !== undefined) data.result = move.result;
  if (move.reason !== undefined) data.reason = move.reason;
  return { patch, events: [{ type: swarmEventType(from, to), source: swarm.id, data }] };
}
