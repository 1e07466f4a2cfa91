/**
 * A merge that stopped on a conflict (core/swarm-merge.ts): who is on each side, and the `merge`
 * approval that asks a person which side to keep. Nothing moved: the target is as it was.
 */
import { toApprovalResponse } from "../domain/approval.ts";
import type { MergeAsk, MergeBranch, MergeOutcome, MergeSide } from "../domain/merge.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import { gitOk, gitOut } from "./git-async.ts";
import type { MergeRun } from "./git-merge.ts";
import type { Lifecycle } from "./lifecycle.ts";
import type { AgentStep, MergePlan } from "./swarm-merge.ts";

const MERGE_APPROVAL_TIMEOUT_S = 86_400;

/**
 * Who is on each side of a conflict: the incoming agent, and the agents already in the merge whose
 * branches changed those files since the base (none: the target's own commits).
 */
async function sidesOf(
  repo: string,
  baseRef: string,
  run: Extract<MergeRun<AgentStep>, { ok: false }>,
  steps: AgentStep[],
  target: string,
): Promise<MergeSide[]> {
  const inMerge: AgentStep[] = [];
  for (const s of steps) {
    if (s === run.step || !(await gitOk(["merge-base", "--is-ancestor", s.commit, run.at], repo))) continue;
    const touched = await gitOut(
      ["log", "-1", "--format=%H", `${baseRef}..${s.commit}`, "--", ...run.files],
      repo,
    );
    if (touched) inMerge.push(s);
  }
  const side = (s: { entry: MergeBranch }): MergeSide => ({
    name: s.entry.name,
    agentId: s.entry.agentId,
    branch: s.entry.branch,
  });
  const others = inMerge.length > 0 ? inMerge.map(side) : [{ name: target, agentId: null, branch: target }];
  return [side(run.step), ...others];
}

export async function stopOnConflict(
  lifecycle: Lifecycle,
  swarm: SwarmRecord,
  stop: {
    target: string;
    from: string | null;
    run: Extract<MergeRun<AgentStep>, { ok: false }>;
    steps: AgentStep[];
    skipped: (MergeBranch & { reason: string })[];
    plan: MergePlan;
  },
): Promise<MergeOutcome> {
  const { target, from, run, steps, plan } = stop;
  const repo = swarm.config.repo as string;
  const sides = await sidesOf(repo, swarm.config.baseRef as string, run, steps, target);
  const incoming = run.step.entry;
  const ask: MergeAsk = {
    swarmId: swarm.id,
    target,
    targetHead: from,
    incoming,
    files: run.files,
    sides,
    resolutions: plan.resolutions,
    overridden: plan.overridden,
  };
  const names = sides.map((s) => s.name).join(" and ");
  const approval = await lifecycle.requestApproval({
    kind: "merge",
    swarmId: swarm.id,
    title: `merge of swarm ${swarm.name} into ${target} stopped: ${names} changed the same lines of ${run.files.join(", ")}. Approve with the side to keep`,
    details: { ...ask },
    timeoutSeconds: MERGE_APPROVAL_TIMEOUT_S,
  });
  return {
    status: "conflict",
    target,
    head: from,
    merged: [],
    already: [],
    skipped: stop.skipped,
    conflict: { files: run.files, sides },
    approval: toApprovalResponse(approval),
  };
}
