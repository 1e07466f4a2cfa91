import type { DashEvent } from "../src/domain/event.ts";
import { type AgentStatus, canMoveAgent } from "../src/domain/states.ts";

/**
 * Replays the agent status changes of an event stream (PRD §9.4's race detector): each agent's
 * statuses in order, and every change the state machine does not allow.
 */
export function agentMoves(events: readonly DashEvent[]) {
  const history = new Map<string, AgentStatus[]>();
  const violations: string[] = [];
  for (const event of events) {
    const next = event.data.status as AgentStatus | undefined;
    if (!event.type.startsWith("agent.") || !next) continue;
    const seen = history.get(event.source) ?? [];
    const last = seen.at(-1);
    if (last !== undefined && !canMoveAgent(last, next))
      violations.push(`${event.source}: ${last} -> ${next}`);
    history.set(event.source, [...seen, next]);
  }
  return { history, violations };
}
