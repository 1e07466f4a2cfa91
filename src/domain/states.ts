import { z } from "zod";

/**
 * The agent and swarm state machines (DESIGN.md §3). Pure data: the write path enforces them,
 * the dashboard and the tests read them.
 */
export const AGENT_STATUSES = [
  "idle",
  "spawning",
  "running",
  "paused",
  "completed",
  "failed",
  "killed",
] as const;
export const AgentStatusSchema = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const SWARM_STATUSES = ["creating", "active", "paused", "completed", "failed", "destroyed"] as const;
export const SwarmStatusSchema = z.enum(SWARM_STATUSES);
export type SwarmStatus = z.infer<typeof SwarmStatusSchema>;

// idle is "queued": it may be started, or stopped before it ever ran (scale-down, kill, a refusal).
// failed → spawning is a retry and is further guarded by retry_count < max_retries; failed → killed
// stops the retries (an operator gives up on it, or its swarm is destroyed).
const AGENT_MOVES: Record<AgentStatus, readonly AgentStatus[]> = {
  idle: ["spawning", "failed", "killed"],
  spawning: ["running", "completed", "failed", "killed"],
  running: ["paused", "completed", "failed", "killed"],
  paused: ["running", "completed", "failed", "killed"],
  completed: [],
  failed: ["spawning", "killed"],
  killed: [],
};

// A finished swarm can still be destroyed (its processes and workspaces cleaned up).
const SWARM_MOVES: Record<SwarmStatus, readonly SwarmStatus[]> = {
  creating: ["active", "failed", "destroyed"],
  active: ["paused", "completed", "failed", "destroyed"],
  paused: ["active", "completed", "failed", "destroyed"],
  completed: ["destroyed"],
  failed: ["destroyed"],
  destroyed: [],
};

export function canMoveAgent(from: AgentStatus, to: AgentStatus): boolean {
  return AGENT_MOVES[from].includes(to);
}

export function canMoveSwarm(from: SwarmStatus, to: SwarmStatus): boolean {
  return SWARM_MOVES[from].includes(to);
}

/** States an agent does not leave on its own (failed may still be retried by the supervisor). */
export const FINISHED_AGENT_STATUSES: ReadonlySet<AgentStatus> = new Set(["completed", "failed", "killed"]);
export const LIVE_AGENT_STATUSES: ReadonlySet<AgentStatus> = new Set(["spawning", "running", "paused"]);
export const FINISHED_SWARM_STATUSES: ReadonlySet<SwarmStatus> = new Set([
  "completed",
  "failed",
  "destroyed",
]);
