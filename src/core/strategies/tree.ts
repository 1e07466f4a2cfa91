import type { SwarmStrategy } from "./strategy.ts";
import { inputText, ofRole } from "./strategy.ts";

/**
 * `tree`: a root agent (or `initialAgents` roots) that spawns its children through the API with
 * its own agent token (POST /api/agents); `maxDepth` and `maxChildren` cap how far that goes (see
 * decideSpawn). The roots' result is the swarm's; it succeeds when every root completed.
 */
export const tree: SwarmStrategy = {
  first({ name, task, plan, initialAgents }) {
    const item = plan.inputs?.[0];
    const roots = initialAgents ?? 1;
    return Array.from({ length: roots }, (_, position) => ({
      role: "root",
      position,
      task,
      input: item === undefined ? null : inputText(item),
      name: roots === 1 ? `${name}-root` : `${name}-root-${position + 1}`,
    }));
  },
  next: () => [],
  result(_swarm, agents) {
    const roots = ofRole(agents, "root");
    const value = roots.length === 1 ? roots[0]?.result : roots.map((a) => a.result);
    return { value: value ?? null, ok: roots.length > 0 && roots.every((a) => a.status === "completed") };
  },
};
