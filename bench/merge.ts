/**
 * Merge-back (issue 12) on a real repository: 50 agent branches, each changing its own file of
 * 200, merged in a scratch worktree; and how long the event loop stalls meanwhile (git runs as
 * child processes awaited, so requests and WebSockets go on during a merge).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { branchCommit } from "../src/core/git-async.ts";
import { type MergeStep, mergeInScratch } from "../src/core/git-merge.ts";
import { git } from "../src/core/worktrees.ts";
import { VALUES } from "./record.ts";
import { measure, printSummaries } from "./stats.ts";

const BRANCHES = 50;

async function repoWithBranches(dir: string): Promise<{ repo: string; base: string; steps: MergeStep[] }> {
  const repo = join(dir, "repo");
  git(["init", "-q", "-b", "main", repo]);
  git(["config", "user.name", "Bench"], repo);
  git(["config", "user.email", "bench@localhost"], repo);
  for (let i = 0; i < 200; i++) writeFileSync(join(repo, `f${i}.txt`), "line\n".repeat(50));
  git(["add", "-A"], repo);
  git(["commit", "-qm", "base"], repo);
  const base = git(["rev-parse", "HEAD"], repo);
  const steps: MergeStep[] = [];
  for (let i = 0; i < BRANCHES; i++) {
    const wt = join(dir, `wt${i}`);
    git(["worktree", "add", "-q", "-b", `dash/bench/a${i}`, wt, base], repo);
    writeFileSync(join(wt, `f${i}.txt`), "changed\n");
    git(["commit", "-qam", `a${i}`], wt);
    git(["worktree", "remove", wt], repo);
    const commit = (await branchCommit(repo, `dash/bench/a${i}`)) as string;
    steps.push({ branch: `dash/bench/a${i}`, commit, message: `merge a${i}` });
  }
  return { repo, base, steps };
}

export async function benchMerge(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "dash-bench-merge-"));
  try {
    const { repo, base, steps } = await repoWithBranches(dir);
    let stall = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 5);
    const merges = await measure(`merge ${BRANCHES} branches (scratch worktree)`, 5, () =>
      mergeInScratch(repo, join(dir, "scratch"), base, steps),
    );
    clearInterval(ticker);
    printSummaries("Merge-back", [merges]);
    VALUES.set("merge event-loop stall", stall);
    console.log(`longest event-loop stall during the merges: ${stall.toFixed(1)} ms (timer every 5 ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchMerge();
