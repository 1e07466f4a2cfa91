/**
 * Which of a swarm's branches Dash merged, kept in the repository itself as refs
 * `refs/dash/merged/<swarm id>/<agent id>` → the commit merged (git stays the one truth about
 * branches, and the record survives anything that happens to Dash's database). Destroying the
 * swarm deletes a branch only when it still points at that commit: merged, and nothing added since.
 */
import { existsSync } from "node:fs";
import { branchCommit, checkedOutAt, gitOut, gitRun, oneAtATime } from "./git-async.ts";
import { branchFor, worktreeDir } from "./worktrees.ts";

const refOf = (swarmId: string, agentId: string) => `refs/dash/merged/${swarmId}/${agentId}`;

/** Records what a merge brought in; a branch whose side lost a conflict is not (or no longer) merged. */
export async function noteMerged(
  repo: string,
  swarmId: string,
  landed: { agentId: string; branch: string; commit: string }[],
  overridden: string[],
): Promise<void> {
  for (const { agentId, branch, commit } of landed) {
    const ref = refOf(swarmId, agentId);
    await gitOut(overridden.includes(branch) ? ["update-ref", "-d", ref] : ["update-ref", ref, commit], repo);
  }
}

export interface BranchesLeft {
  /** Merged branches deleted (they pointed at the commit merged). */
  deleted: string[];
  /** Branches kept: unmerged, changed since their merge, or all of them when asked to keep. */
  kept: string[];
}

/**
 * On destroy: deletes the swarm's merged branches (unless `keep`) and lists every branch that stays.
 * A merged branch's worktree goes first (its agent completed; git refuses to delete a branch a
 * worktree has checked out). The swarm's merge records go in any case.
 */
export async function settleBranches(
  home: string,
  swarm: { id: string; name: string; config: { repo?: string } },
  agents: { id: string; name: string }[],
  keep: boolean,
): Promise<BranchesLeft> {
  const left: BranchesLeft = { deleted: [], kept: [] };
  const repo = swarm.config.repo;
  if (!repo) return left;
  const swarmId = swarm.id;
  // In turn with the destroy's own worktree removal (worktrees.ts): two `git worktree remove`
  // of one worktree at once left the branch checked out for a moment, so a merged one was kept.
  await oneAtATime(`repo:${repo}`, async () => {
    for (const agent of agents) {
      const agentId = agent.id;
      const branch = branchFor(swarm.name, agent.name);
      const worktree = worktreeDir(home, swarm.id, agent.id);
      const tip = await branchCommit(repo, branch);
      if (!tip) continue;
      const merged = await gitRun(["rev-parse", "--verify", "--quiet", refOf(swarmId, agentId)], repo);
      const sameCommit = merged.code === 0 && merged.out === tip;
      if (keep || !sameCommit) {
        left.kept.push(branch);
        continue;
      }
      if (existsSync(worktree)) await gitRun(["worktree", "remove", "--force", worktree], repo);
      if (await checkedOutAt(repo, branch)) {
        left.kept.push(branch);
        continue;
      }
      const gone = await gitRun(["update-ref", "-d", `refs/heads/${branch}`, tip], repo);
      (gone.code === 0 ? left.deleted : left.kept).push(branch);
    }
    const records = await gitOut(
      ["for-each-ref", "--format=%(refname)", `refs/dash/merged/${swarmId}/`],
      repo,
    );
    for (const ref of records.split("\n").filter(Boolean)) await gitOut(["update-ref", "-d", ref], repo);
  });
  return left;
}
