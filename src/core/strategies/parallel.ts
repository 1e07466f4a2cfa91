import type { SwarmStrategy } from "./strategy.ts";
import { inputText, ofRole } from "./strategy.ts";

/**
 * `parallel`: N agents on the task, or one per item of `inputs`. The result is every worker's
 * result in order (null where one did not complete); it succeeds when none failed.
 */
export const parallel: SwarmStrategy = {
  first({ name, task, plan, initialAgents }) {
    const inputs = plan.inputs ?? Array.from({ length: initialAgents ?? 1 }, () => null);
    return inputs.map((item, position) => ({
      role: "worker",
      position,
      task,
      input: item === null ? null : inputText(item),
      name: `${name}-${position + 1}`,
    }));
  },
  next: () => [],
  result(_swarm, agents) {
    const workers = ofRole(agents, "worker");
    const done = workers.filter((a) => a.status === "completed");
    return {
      value: workers.map((a) => (a.status === "completed" ? a.result : null)),
      ok: done.length > 0 && !workers.some((a) => a.status === "failed"),
    };
  },
};
