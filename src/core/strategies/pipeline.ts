import type { SwarmStrategy } from "./strategy.ts";
import { inputText, ofRole, resultText } from "./strategy.ts";

/**
 * `pipeline`: ordered `stages`, one agent each; stage i+1 starts when stage i completes, with its
 * result as `{input}`. A stage that fails for good ends the pipeline; the last stage's result is
 * the swarm's.
 */
export const pipeline: SwarmStrategy = {
  first({ name, task, plan }) {
    const stage = plan.stages?.[0] ?? { task };
    const item = plan.inputs?.[0];
    return [
      {
        role: "stage",
        position: 0,
        task: stage.task,
        input: item === undefined ? null : inputText(item),
        name: stage.name ?? `${name}-stage-1`,
      },
    ];
  },
  next({ name, plan }, agents) {
    const last = ofRole(agents, "stage").at(-1);
    const stages = plan.stages ?? [];
    if (last?.status !== "completed" || last.position + 1 >= stages.length) return [];
    const position = last.position + 1;
    const stage = stages[position] as { task: string; name?: string };
    return [
      {
        role: "stage",
        position,
        task: stage.task,
        input: resultText(last),
        name: stage.name ?? `${name}-stage-${position + 1}`,
      },
    ];
  },
  result({ plan }, agents) {
    const last = ofRole(agents, "stage").at(-1);
    const ok = last?.status === "completed" && last.position === (plan.stages?.length ?? 1) - 1;
    return { value: ok ? last.result : null, ok };
  },
};
