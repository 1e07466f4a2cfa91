/**
 * Merging agents' branches, in git terms: every merge runs in a scratch worktree, detached at the
 * target's commit, so neither the user's checkout nor any branch changes while it runs; only a
 * whole successful run moves the target, with a compare-and-swap on its ref.
 */
import { rmSync } from "node:fs";
import { DashError } from "../domain/errors.ts";
import { gitOk, gitOut, gitRun } from "./git-async.ts";

/** One branch to merge; `prefer` settles its conflicting hunks ("theirs" = the branch's side). */
export interface MergeStep {
  branch: string;
  /** The branch's commit to merge (read before the run, so a branch that moves meanwhile does not). */
  commit: string;
  message: string;
  prefer?: "ours" | "theirs";
}

export type MergeRun<S extends MergeStep = MergeStep> =
  | { ok: true; head: string; merged: S[]; already: S[] }
  /** `at`: the commit the conflicting branch was merged onto (the target plus the steps before). */
  | { ok: false; step: S; files: string[]; at: string };

const AS_DASH = ["-c", "user.name=Dash", "-c", "user.email=dash@localhost", "-c", "commit.gpgsign=false"];

/** Conflicted paths of the merge under way in `dir`. */
const unmerged = async (dir: string) =>
  (await gitOut(["diff", "--name-only", "--diff-filter=U"], dir)).split("\n").filter(Boolean);

/**
 * What `-X ours|theirs` leaves unmerged (a file deleted on one side, a rename) takes the preferred
 * side's whole file, or its deletion.
 */
async function takeSide(dir: string, files: string[], side: "ours" | "theirs"): Promise<void> {
  const stage = side === "ours" ? "2" : "3";
  for (const file of files) {
    const stages = await gitOut(["ls-files", "-u", "--", file], dir);
    const kept = stages.split("\n").some((line) => line.split(/\s+/)[2] === stage);
    await gitOut(kept ? ["checkout", `--${side}`, "--", file] : ["rm", "-q", "--force", "--", file], dir);
    if (kept) await gitOut(["add", "--", file], dir);
  }
  await gitOut([...AS_DASH, "commit", "-q", "--no-verify", "--no-edit"], dir);
}

/** Merges one step onto HEAD; the conflicted files when it stops (the merge is then aborted). */
async function mergeStep(dir: string, step: MergeStep): Promise<string[]> {
  const prefer = step.prefer ? ["-X", step.prefer] : [];
  const args = [
    ...AS_DASH,
    "merge",
    "-q",
    "--no-ff",
    "--no-verify",
    ...prefer,
    "-m",
    step.message,
    step.commit,
  ];
  const run = await gitRun(args, dir);
  if (run.code === 0) return [];
  const files = await unmerged(dir);
  if (files.length === 0) {
    await gitRun(["merge", "--abort"], dir);
    throw new DashError("INTERNAL_ERROR", `git merge of ${step.branch} failed: ${run.err || run.out}`);
  }
  if (step.prefer) {
    await takeSide(dir, files, step.prefer);
    return [];
  }
  await gitOut(["merge", "--abort"], dir);
  return files;
}

/** Leaves no scratch worktree behind (a crash mid-merge may have left one). */
export async function dropScratch(repo: string, dir: string): Promise<void> {
  await gitRun(["worktree", "remove", "--force", dir], repo);
  rmSync(dir, { recursive: true, force: true });
  await gitOut(["worktree", "prune"], repo);
}

/**
 * Merges `steps` one after the other onto `start` in a scratch worktree at `dir`, and stops at the
 * first conflict that no `prefer` settles. No ref changes: the caller moves the target.
 */
export async function mergeInScratch<S extends MergeStep>(
  repo: string,
  dir: string,
  start: string,
  steps: S[],
): Promise<MergeRun<S>> {
  await dropScratch(repo, dir);
  await gitOut(["worktree", "add", "-q", "--detach", dir, start], repo);
  try {
    const merged: S[] = [];
    const already: S[] = [];
    for (const step of steps) {
      if (await gitOk(["merge-base", "--is-ancestor", step.commit, "HEAD"], dir)) {
        already.push(step);
        continue;
      }
      const at = await gitOut(["rev-parse", "HEAD"], dir);
      const files = await mergeStep(dir, step);
      if (files.length > 0) return { ok: false, step, files, at };
      merged.push(step);
    }
    return { ok: true, head: await gitOut(["rev-parse", "HEAD"], dir), merged, already };
  } finally {
    await dropScratch(repo, dir);
  }
}

/** Moves (or makes) `refs/heads/<target>` from `from` to `to`; refused when it moved meanwhile. */
export async function moveTarget(
  repo: string,
  target: string,
  to: string,
  from: string | null,
): Promise<void> {
  // An empty old value means "must not exist yet".
  const run = await gitRun(
    ["update-ref", "-m", "dash: swarm merge", `refs/heads/${target}`, to, from ?? ""],
    repo,
  );
  if (run.code === 0) return;
  throw new DashError(
    "CONFLICT",
    `${target} could not be moved from ${from ?? "nothing"} (did it move while the merge ran? run the merge again): ${run.err}`,
  );
}
