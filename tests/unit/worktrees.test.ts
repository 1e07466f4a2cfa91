/**
 * Worktree housekeeping on a real temp repository: a worktree whose folder vanished (what
 * `git worktree prune` cleans) is made again on its branch with the agent's commits; what an agent
 * left uncommitted is committed before its worktree goes, without Dash's own run book.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  commitLeftovers,
  ensureWorktree,
  git,
  removeWorktrees,
  worktreeDir,
} from "../../src/core/worktrees.ts";
import { RUN_BOOK } from "../../src/runtimes/openclaw-runs.ts";
import { checkoutState, tempRepo } from "../git-helpers.ts";
import { tempHome } from "../helpers.ts";

const { repo, base } = tempRepo({ "README.md": "hello\n" });
const before = checkoutState(repo);
const home = tempHome();
afterAll(home.cleanup);

test("a worktree whose folder is gone is made again on its branch, its commits kept", async () => {
  const dir = worktreeDir(home.dir, "S1", "A1");
  await ensureWorktree(repo, base, dir, "dash/s/a1");
  writeFileSync(join(dir, "work.txt"), "done\n");
  await commitLeftovers(dir, "work");
  rmSync(dir, { recursive: true, force: true }); // a stale entry in .git/worktrees stays behind
  await ensureWorktree(repo, base, dir, "dash/s/a1");
  expect(git(["log", "-1", "--format=%s %an"], dir)).toBe("work Dash");
  expect(git(["rev-parse", "--abbrev-ref", "HEAD"], dir)).toBe("dash/s/a1");
  await ensureWorktree(repo, base, dir, "dash/s/a1"); // there already: left as it is
  expect(checkoutState(repo)).toEqual(before);
});

test("destroy commits what a killed agent left, never the run book, then removes the worktrees", async () => {
  const dir = worktreeDir(home.dir, "S2", "A2");
  await ensureWorktree(repo, base, dir, "dash/s/a2");
  writeFileSync(join(dir, "half.txt"), "half done\n");
  writeFileSync(join(dir, RUN_BOOK), "{}\n");
  const stale = worktreeDir(home.dir, "S2", "A3");
  await ensureWorktree(repo, base, stale, "dash/s/a3");
  rmSync(join(stale, ".git")); // no longer a worktree git can read: removed all the same
  await removeWorktrees(home.dir, repo, "S2");
  expect(existsSync(join(home.dir, "worktrees", "S2"))).toBe(false);
  expect(git(["log", "-1", "--format=%s", "dash/s/a2"], repo)).toBe(
    "dash: what agent A2 left when its swarm was destroyed",
  );
  expect(git(["ls-tree", "--name-only", "dash/s/a2"], repo).split("\n")).toEqual(["README.md", "half.txt"]);
  expect(git(["worktree", "list"], repo).split("\n")).toHaveLength(2); // the user's, and S1's
  await removeWorktrees(home.dir, repo, "nothing-here");
});
