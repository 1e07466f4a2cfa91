import type { AgentRecord } from "../domain/agent.ts";
import type { BudgetRecord } from "../domain/budget.ts";
import { DashError, InvalidTransitionError } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import { FINISHED_AGENT_STATUSES, FINISHED_SWARM_STATUSES } from "../domain/states.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import type { SwarmChange } from "../storage/store.ts";
import { assertBudgetLeft } from "./reports.ts";
import { agentSpawnedEvent, draftAgent } from "./swarm.ts";
import { checkVersion, decideAgentMove } from "./transitions.ts";

/** A scale target is a whole number from 0 to DASH_MAX_AGENTS. */
export function checkTarget(target: number, max: number): void {
  if (Number.isInteger(target) && target >= 0 && target <= max) return;
  throw new DashError(
    "VALIDATION_ERROR",
    `target must be a whole number from 0 to ${max} (DASH_MAX_AGENTS), got ${target}`,
    {
      field: "target",
      max,
    },
  );
}

/**
 * Scaling a swarm to `target` unfinished agents, decided inside one transaction: new idle agents
 * are added, or the surplus is killed (queued idle agents first, then the newest), and the swarm
 * records its target. Finished agents stay as history and do not count.
 */
export function decideScale(
  swarm: SwarmRecord,
  agents: AgentRecord[],
  budget: BudgetRecord | null,
  input: { target: number; max: number; now: number; expectedVersion?: number },
): SwarmChange {
  const { target, max, now } = input;
  checkVersion("swarm", swarm, input.expectedVersion);
  if (FINISHED_SWARM_STATUSES.has(swarm.status)) {
    throw new InvalidTransitionError("swarm", swarm.id, swarm.status, "scaled", "the swarm has finished");
  }
  if (swarm.strategy !== "parallel") {
    throw new DashError(
      "VALIDATION_ERROR",
      `swarm ${swarm.id} is ${swarm.strategy}: its strategy decides its agents; only parallel swarms scale`,
      { field: "target", strategy: swarm.strategy },
    );
  }
  const unfinished = agents.filter((a) => !FINISHED_AGENT_STATUSES.has(a.status));
  const add = Math.max(0, target - unfinished.length);
  // Only growth needs money: a swarm over budget can still be scaled down (or to zero).
  if (add > 0) assertBudgetLeft(swarm.id, budget);
  if (swarm.agentCount + add > max) {
    throw new DashError(
      "VALIDATION_ERROR",
      `swarm ${swarm.id} holds ${swarm.agentCount} agents; adding ${add} would pass the cap of ${max}`,
      { field: "agents", max, agentCount: swarm.agentCount },
    );
  }
  const added = Array.from({ length: add }, (_, i) =>
    draftAgent(
      {
        swarmId: swarm.id,
        namePrefix: swarm.name,
        task: swarm.task,
        model: swarm.config.model,
        maxRetries: swarm.config.maxRetries,
        position: swarm.agentCount + i,
      },
      now,
    ),
  );
  const byPreference = [...unfinished].sort(
    (a, b) => Number(b.status === "idle") - Number(a.status === "idle") || b.id.localeCompare(a.id),
  );
  const stopped = byPreference.slice(0, Math.max(0, unfinished.length - target)).map((agent) => ({
    agent,
    change: decideAgentMove(agent, { to: "killed", reason: "scaled down" }, now),
  }));
  const scaled: NewEvent = {
    type: "swarm.scaled",
    source: swarm.id,
    data: {
      swarmId: swarm.id,
      name: swarm.name,
      from: unfinished.length,
      to: target,
      added: added.map((a) => a.id),
      removed: stopped.map((s) => s.agent.id),
    },
  };
  return {
    patch: { targetAgentCount: target },
    added,
    stopped,
    events: [scaled, ...added.map(agentSpawnedEvent), ...stopped.flatMap((s) => s.change.events)],
  };
}
