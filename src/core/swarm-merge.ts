/**
 * `dash swarm merge`: a repo swarm's completed agents' branches merged into a target branch, all
 * or nothing (core/git-merge.ts). A conflict no earlier answer settles stops the merge with a
 * `merge` approval listing the files and the agents on each side; approving one side merges again
 * with that side taking the conflicting hunks. Nothing is lost either way: the target moves only
 * when the whole merge succeeded, and a branch whose side lost is not counted as merged, so
 * destroying the swarm keeps it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AgentRecord } from "../domain/agent.ts";
import type { ApprovalRecord } from "../domain/approval.ts";
import { DashError, notFound } from "../domain/errors.ts";
import type { MergeAsk, MergeBranch, MergeOutcome } from "../domain/merge.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import { branchCommit, checkedOutAt, gitOk, oneAtATime } from "./git-async.ts";
import { type MergeStep, mergeInScratch, moveTarget } from "./git-merge.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { stopOnConflict } from "./merge-conflict.ts";
import { noteMerged } from "./merged-refs.ts";
import { branchFor } from "./worktrees.ts";

/** A merge's answers so far: how earlier conflicts were settled, whose side lost. */
export interface MergePlan {
  resolutions: Record<string, "ours" | "theirs">;
  overridden: string[];
  /** The approval this merge goes on from (a new merge is refused while one is pending). */
  continuing?: string;
}

/** A branch to merge, with the agent it is of. */
export type AgentStep = MergeStep & { entry: MergeBranch };

export const defaultTarget = (swarmName: string) => branchFor(swarmName, "merged");

/** The target must be a branch name, not an agent's branch, and checked out nowhere. */
async function checkTarget(repo: string, target: string, branches: string[]): Promise<void> {
  if (!(await gitOk(["check-ref-format", "--branch", target], repo))) {
    throw new DashError("VALIDATION_ERROR", `into: "${target}" is not a valid branch name`, {
      field: "into",
    });
  }
  if (branches.includes(target)) {
    throw new DashError("VALIDATION_ERROR", `into: ${target} is an agent's own branch; merge into another`, {
      field: "into",
    });
  }
  const at = await checkedOutAt(repo, target);
  if (at) {
    throw new DashError(
      "CONFLICT",
      `${target} is checked out in ${at}, and Dash never moves a branch under a working tree. Merge into ` +
        `another branch (--into, default dash/<swarm>/merged), then bring that in yourself (git merge <it>)`,
      { target, checkedOutAt: at },
    );
  }
}

async function refuseWhilePending(lifecycle: Lifecycle, swarmId: string): Promise<void> {
  const pending = await lifecycle.store.listApprovals({ swarmId, status: "pending" });
  const waiting = pending.find((a) => a.kind === "merge");
  if (!waiting) return;
  throw new DashError(
    "CONFLICT",
    `a merge of this swarm waits for approval ${waiting.id}: approve it with the side to keep ` +
      `(dash approvals approve ${waiting.id} --choice <side>) or deny it first`,
    { approvalId: waiting.id },
  );
}

/** The branches to merge (completed agents' whose branch exists) and those left out, and why. */
async function planSteps(repo: string, swarm: SwarmRecord, agents: AgentRecord[], plan: MergePlan) {
  const steps: AgentStep[] = [];
  const skipped: (MergeBranch & { reason: string })[] = [];
  for (const agent of agents) {
    const entry = { agentId: agent.id, name: agent.name, branch: branchFor(swarm.name, agent.name) };
    const commit = agent.status === "completed" ? await branchCommit(repo, entry.branch) : null;
    if (!commit) {
      const reason = agent.status === "completed" ? "its branch is gone" : `the agent is ${agent.status}`;
      skipped.push({ ...entry, reason });
      continue;
    }
    const message = `dash: merge ${entry.branch} (agent ${agent.name} of swarm ${swarm.name})`;
    steps.push({ entry, branch: entry.branch, commit, message, prefer: plan.resolutions[entry.branch] });
  }
  return { steps, skipped };
}

/** Merges the swarm's completed agents' branches into `into` (see the file's comment). */
export function mergeSwarm(
  lifecycle: Lifecycle,
  home: string,
  swarmId: string,
  into?: string,
  plan: MergePlan = { resolutions: {}, overridden: [] },
): Promise<MergeOutcome> {
  return oneAtATime(`merge:${swarmId}`, () => mergeNow(lifecycle, home, swarmId, into, plan));
}

async function mergeNow(
  lifecycle: Lifecycle,
  home: string,
  swarmId: string,
  into: string | undefined,
  plan: MergePlan,
): Promise<MergeOutcome> {
  const swarm = await lifecycle.store.getSwarm(swarmId);
  if (!swarm) throw notFound("swarm", swarmId);
  const { repo, baseRef } = swarm.config;
  if (!repo || !baseRef) {
    throw new DashError("VALIDATION_ERROR", `swarm ${swarm.id} works in no repository (no config.repo)`);
  }
  if (!existsSync(repo)) {
    throw new DashError("CONFLICT", `the swarm's repository ${repo} is gone: nothing can be merged into it`);
  }
  const agents = await lifecycle.store.listAgents({ swarmId });
  const target = into ?? defaultTarget(swarm.name);
  await checkTarget(
    repo,
    target,
    agents.map((a) => branchFor(swarm.name, a.name)),
  );
  if (!plan.continuing) await refuseWhilePending(lifecycle, swarm.id);
  const from = await branchCommit(repo, target);
  const { steps, skipped } = await planSteps(repo, swarm, agents, plan);
  const run = await mergeInScratch(repo, join(home, "worktrees", swarm.id, "_merge"), from ?? baseRef, steps);
  if (!run.ok) return stopOnConflict(lifecycle, swarm, { target, from, run, steps, skipped, plan });
  const merged = run.merged.map((s) => s.entry);
  const already = run.already.map((s) => s.entry);
  if (merged.length > 0) await moveTarget(repo, target, run.head, from);
  const landed = [...run.merged, ...run.already].map((s) => ({
    agentId: s.entry.agentId,
    branch: s.branch,
    commit: s.commit,
  }));
  await noteMerged(repo, swarm.id, landed, plan.overridden);
  const head = merged.length > 0 ? run.head : from;
  if (merged.length > 0) {
    await lifecycle.noteSwarm(swarm.id, "swarm.merged", {
      target,
      head,
      merged: merged.map((b) => b.name),
      overridden: plan.overridden,
      approvalId: plan.continuing ?? null,
    });
  }
  return { status: merged.length > 0 ? "merged" : "up-to-date", target, head, merged, already, skipped };
}

/** An approved `merge` approval: merge again, the chosen side taking the conflicting hunks. */
export async function continueMerge(lifecycle: Lifecycle, home: string, approval: ApprovalRecord) {
  const ask = approval.details as unknown as MergeAsk;
  const incomingWins = ask.choice === ask.incoming.name;
  const losers = incomingWins
    ? ask.sides.filter((s) => s.agentId && s.branch !== ask.incoming.branch).map((s) => s.branch)
    : [ask.incoming.branch];
  return mergeSwarm(lifecycle, home, ask.swarmId, ask.target, {
    resolutions: { ...ask.resolutions, [ask.incoming.branch]: incomingWins ? "theirs" : "ours" },
    overridden: [...ask.overridden, ...losers],
    continuing: approval.id,
  });
}
