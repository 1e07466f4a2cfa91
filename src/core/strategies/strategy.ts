import type { AgentRecord, AgentRole } from "../../domain/agent.ts";
import type { SwarmPlanSpec } from "../../domain/swarm.ts";

/** An agent a strategy wants: its part in the plan, its task and its `{input}`. */
export interface Seed {
  role: AgentRole;
  position: number;
  task: string;
  input: string | null;
  name: string;
}

/** What a strategy sees of its swarm. */
export interface SwarmShape {
  name: string;
  task: string;
  plan: SwarmPlanSpec;
  /** The requested agent count, if one was given. */
  initialAgents?: number;
}

/**
 * One strategy (PRD §5.2): the agents a swarm starts with, the agents to add as others finish
 * (a reducer, the next stage), and what the swarm's result is once every agent has ended. Pure:
 * `next` runs inside the transaction that also reads every agent, so two agents finishing at once
 * cannot both add the reducer.
 */
export interface SwarmStrategy {
  first(swarm: SwarmShape): Seed[];
  next(swarm: SwarmShape, agents: AgentRecord[]): Seed[];
  result(swarm: SwarmShape, agents: AgentRecord[]): { value: unknown; ok: boolean };
}

/** An agent that will not run again: completed, killed, or failed with no retry coming. */
export function isTerminal(agent: AgentRecord): boolean {
  if (agent.status === "completed" || agent.status === "killed") return true;
  return agent.status === "failed" && !(agent.error as { willRetry?: boolean } | null)?.willRetry;
}

/** An item as `{input}` text: strings as they are, anything else as JSON. */
export function inputText(item: unknown): string {
  return typeof item === "string" ? item : JSON.stringify(item);
}

/** A result as the next agent's input (null when there is none). */
export function resultText(agent: AgentRecord): string | null {
  return agent.result === null || agent.result === undefined ? null : inputText(agent.result);
}

export const byPosition = (a: AgentRecord, b: AgentRecord) =>
  a.position - b.position || a.id.localeCompare(b.id);

export function ofRole(agents: AgentRecord[], role: AgentRole): AgentRecord[] {
  return agents.filter((a) => a.role === role).sort(byPosition);
}
