import type { AgentRecord } from "../domain/agent.ts";
import type { BudgetRecord } from "../domain/budget.ts";
import type { NewEvent } from "../domain/event.ts";
import { FINISHED_AGENT_STATUSES } from "../domain/states.ts";
import type { Outcome, SwarmRecord } from "../domain/swarm.ts";
import { actionNow } from "../safety/budget.ts";
import type { SwarmChange } from "../storage/store.ts";
import { STRATEGIES } from "./strategies/index.ts";
import { isTerminal } from "./strategies/strategy.ts";
import { agentSpawnedEvent, seedAgents } from "./swarm.ts";
import { decideAgentMove, decideSwarmMove } from "./transitions.ts";

/** How the swarm's agents ended, and why each failed one did. */
export function outcomeOf(agents: AgentRecord[]): Outcome {
  const count = (status: string) => agents.filter((a) => a.status === status).length;
  const failures = agents
    .filter((a) => a.status === "failed")
    .map((a) => ({
      agentId: a.id,
      name: a.name,
      message: (a.error as { message?: string } | null)?.message ?? "failed",
    }));
  return { completed: count("completed"), failed: count("failed"), killed: count("killed"), failures };
}

/**
 * A swarm's next step, decided inside the transaction that read it and ALL its agents: with the
 * fail-fast policy an agent that failed for good stops the rest; the strategy adds the agents
 * whose inputs are now ready (a reducer, the next stage) unless the budget has killed the swarm;
 * once every agent has ended the swarm
 * finishes, completed or failed, with its result and outcome. Null: nothing to do yet.
 */
export function decideAdvance(
  swarm: SwarmRecord,
  agents: AgentRecord[],
  budget: BudgetRecord | null,
  now: number,
): SwarmChange | null {
  if (swarm.status !== "active" && swarm.status !== "paused") return null;
  // Scaled to zero: an empty parallel swarm waits to be scaled up again.
  if (swarm.targetAgentCount === 0 && agents.every(isTerminal)) return null;
  const failed = agents.find((a) => a.status === "failed" && isTerminal(a));
  if (swarm.config.failurePolicy === "fail-fast" && failed) {
    const reason = `fail-fast: agent ${failed.name} failed`;
    const stopped = agents
      .filter((a) => !FINISHED_AGENT_STATUSES.has(a.status) || (a.status === "failed" && !isTerminal(a)))
      .map((agent) => ({ agent, change: decideAgentMove(agent, { to: "killed", reason }, now) }));
    const ended = agents.map((a) =>
      stopped.some((s) => s.agent.id === a.id) ? { ...a, status: "killed" as const } : a,
    );
    return finish(swarm, ended, stopped, now, { value: null, ok: false }, reason);
  }
  const strategy = STRATEGIES[swarm.strategy];
  // A budget that killed the swarm's agents starts no new ones (they could not be admitted).
  const stopped = budget !== null && actionNow(budget) === "kill";
  const added = stopped ? [] : seedAgents(swarm, strategy.next(swarm, agents), now);
  if (added.length > 0) {
    return { patch: {}, added, stopped: [], events: added.map(agentSpawnedEvent) };
  }
  if (agents.length === 0 || !agents.every(isTerminal)) return null;
  return finish(swarm, agents, [], now, strategy.result(swarm, agents));
}

function finish(
  swarm: SwarmRecord,
  agents: AgentRecord[],
  stopped: SwarmChange["stopped"],
  now: number,
  result: { value: unknown; ok: boolean },
  reason?: string,
): SwarmChange {
  const outcome = outcomeOf(agents);
  const move = decideSwarmMove(
    swarm,
    { to: result.ok ? "completed" : "failed", result: { value: result.value, outcome }, reason },
    now,
  );
  const events: NewEvent[] = [...stopped.flatMap((s) => s.change.events), ...move.events];
  return { patch: move.patch, added: [], stopped, events };
}
