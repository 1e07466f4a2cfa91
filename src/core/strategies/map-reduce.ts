import type { SwarmStrategy } from "./strategy.ts";
import { inputText, isTerminal, ofRole } from "./strategy.ts";

/** `count` contiguous, balanced slices of `items` (sizes differ by at most one). */
export function slices<T>(items: T[], count: number): T[][] {
  const base = Math.floor(items.length / count);
  const extra = items.length % count;
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const size = base + (i < extra ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/**
 * `map-reduce`: `inputs` split across mappers (one item each by default; with fewer mappers, each
 * gets a JSON array of its slice). When every mapper has ended, one reducer gets their results as a
 * JSON array in mapper order (null for a mapper that did not complete); its result is the swarm's.
 */
export const mapReduce: SwarmStrategy = {
  first({ name, task, plan, initialAgents }) {
    const inputs = plan.inputs ?? [];
    const mappers = Math.min(initialAgents ?? inputs.length, inputs.length);
    return slices(inputs, mappers).map((slice, position) => ({
      role: "mapper",
      position,
      task,
      input: slice.length === 1 && mappers === inputs.length ? inputText(slice[0]) : JSON.stringify(slice),
      name: `${name}-map-${position + 1}`,
    }));
  },
  next({ name, task, plan }, agents) {
    const mappers = ofRole(agents, "mapper");
    if (ofRole(agents, "reducer").length > 0 || !mappers.every(isTerminal)) return [];
    if (!mappers.some((a) => a.status === "completed")) return [];
    const results = mappers.map((a) => (a.status === "completed" ? a.result : null));
    const reduceTask = plan.reduceTask ?? task;
    return [
      {
        role: "reducer",
        position: 0,
        task: reduceTask,
        input: JSON.stringify(results),
        name: `${name}-reduce`,
      },
    ];
  },
  result(_swarm, agents) {
    const reducer = ofRole(agents, "reducer")[0];
    return { value: reducer?.result ?? null, ok: reducer?.status === "completed" };
  },
};
