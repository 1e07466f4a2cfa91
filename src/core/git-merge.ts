/**
 * Merging agents' branches, in git terms: every merge runs in a scratch worktree, detached at the
 * target's commit, so neither the user's checkout nor any branch changes while it runs; only a
 * whole successful run moves the target, with a compare-and-swap on its ref.
 */
import { rmSync } from "node:fs";
import { DashError } from "../domain/errors.ts";
import { git } from "./worktrees.ts";

/** One branch to merge; `prefer` settles its conflicting hunks ("theirs" = the branch's side). */
export interface MergeStep {
  branch: string;
  /** The branch's commit to merge (read before the run, so a branch that moves meanwhile does not). */
  commit: string;
  message: string;
  prefer?: "ours" | "theirs";
}

export type MergeRun =
  | { ok: true; head: string; merged: MergeStep[]; already: MergeStep[] }
  /** `at`: the commit the conflicting branch was merged onto (the target plus the steps before). */
  | { ok: false; step: MergeStep; files: string[]; at: string };

const AS_DASH = ["-c", "user.name=Dash", "-c", "user.email=dash@localhost", "-c", "commit.gpgsign=false"];

const succeeds = (args: string[], cwd: string) =>
  Bun.spawnSync(["git", ...args], { cwd, stdout: "ignore", stderr: "ignore" }).exitCode === 0;

/** The commit a branch points at, or null when there is no such branch. */
export function branchCommit(repo: string, branch: string): string | null {
  const run = Bun.spawnSync(["git", "rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], {
    cwd: repo,
    stdout: "pipe",
    stderr: "ignore",
  });
  return run.exitCode === 0 ? run.stdout.toString().trim() : null;
}

/** Where a branch is checked out (any worktree of the repository), or null. */
export function checkedOutAt(repo: string, branch: string): string | null {
  let path: string | null = null;
  for (const line of git(["worktree", "list", "--porcelain"], repo).split("\n")) {
    if (line.startsWith("worktree ")) path = line.slice("worktree ".length);
    if (line === `branch refs/heads/${branch}`) return path;
  }
  return null;
}

/** Conflicted paths of the merge under way in `dir`. */
const unmerged = (dir: string) =>
  git(["diff", "--name-only", "--diff-filter=U"], dir).split("\n").filter(Boolean);

/**
 * What `-X ours|theirs` leaves unmerged (a file deleted on one side, a rename) takes the preferred
 * side's whole file, or its deletion.
 */
function takeSide(dir: string, files: string[], side: "ours" | "theirs"): void {
  const stage = side === "ours" ? "2" : "3";
  for (const file of files) {
    const stages = git(["ls-files", "-u", "--", file], dir);
    const kept = stages.split("\n").some((line) => line.split(/\s+/)[2] === stage);
    git(kept ? ["checkout", `--${side}`, "--", file] : ["rm", "-q", "--force", "--", file], dir);
    if (kept) git(["add", "--", file], dir);
  }
  git([...AS_DASH, "commit", "-q", "--no-verify", "--no-edit"], dir);
}

/** Merges one step onto HEAD; the conflicted files when it stops (the merge is then aborted). */
function mergeStep(dir: string, step: MergeStep): string[] {
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
  if (succeeds(args, dir)) return [];
  const files = unmerged(dir);
  if (files.length === 0) {
    succeeds(["merge", "--abort"], dir);
    throw new DashError("INTERNAL_ERROR", `git merge of ${step.branch} failed without a conflict`);
  }
  if (step.prefer) {
    takeSide(dir, files, step.prefer);
    return [];
  }
  git(["merge", "--abort"], dir);
  return files;
}

/** Leaves no scratch worktree behind (a crash mid-merge may have left one). */
export function dropScratch(repo: string, dir: string): void {
  succeeds(["worktree", "remove", "--force", dir], repo);
  rmSync(dir, { recursive: true, force: true });
  git(["worktree", "prune"], repo);
}

/**
 * Merges `steps` one after the other onto `start` in a scratch worktree at `dir`, and stops at the
 * first conflict that no `prefer` settles. No ref changes: the caller moves the target.
 */
export function mergeInScratch(repo: string, dir: string, start: string, steps: MergeStep[]): MergeRun {
  dropScratch(repo, dir);
  git(["worktree", "add", "-q", "--detach", dir, start], repo);
  try {
    const merged: MergeStep[] = [];
    const already: MergeStep[] = [];
    for (const step of steps) {
      if (succeeds(["merge-base", "--is-ancestor", step.commit, "HEAD"], dir)) {
        already.push(step);
        continue;
      }
      const at = git(["rev-parse", "HEAD"], dir);
      const files = mergeStep(dir, step);
      if (files.length > 0) return { ok: false, step, files, at };
      merged.push(step);
    }
    return { ok: true, head: git(["rev-parse", "HEAD"], dir), merged, already };
  } finally {
    dropScratch(repo, dir);
  }
}

/** Moves (or makes) `refs/heads/<target>` from `from` to `to`; refused when it moved meanwhile. */
export function moveTarget(repo: string, target: string, to: string, from: string | null): void {
  // An empty old value means "must not exist yet".
  if (succeeds(["update-ref", "-m", "dash: swarm merge", `refs/heads/${target}`, to, from ?? ""], repo))
    return;
  throw new DashError(
    "CONFLICT",
    `${target} moved while the merge ran (it is no longer ${from ?? "absent"}): run the merge again`,
  );
}

/** Whether `commit` is already in `into`. */
export const isMergedInto = (repo: string, commit: string, into: string) =>
  succeeds(["merge-base", "--is-ancestor", commit, into], repo);
