/**
 * Git worktrees for swarms that name a repository (`config.repo`): each agent works on its own
 * branch `dash/<swarm>/<agent>` in `DASH_HOME/worktrees/<swarm id>/<agent id>`, made from the
 * swarm's base commit. The user's own checkout (working tree and index) is never touched: only
 * `git worktree` and branch refs are used against the repository. argv only, never a shell.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DashError } from "../domain/errors.ts";
import { RUN_BOOK } from "../runtimes/openclaw-runs.ts";
import { branchCommit, gitOk, gitOut, gitRun, oneAtATime } from "./git-async.ts";

/** Runs git; returns its stdout trimmed, or throws with git's own words. */
export function git(args: string[], cwd?: string): string {
  const run = Bun.spawnSync(["git", ...args], {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
  if (run.exitCode !== 0) {
    const said = run.stderr.toString().trim() || run.stdout.toString().trim();
    throw new Error(`git ${args[0]}: ${said || `exit ${run.exitCode}`}`);
  }
  return run.stdout.toString().trim();
}

/**
 * The repository and base commit of a swarm request, checked: `repo` must be the top of a git
 * work tree, `baseRef` (default HEAD) must name a commit. Returns the top and the commit's sha, so
 * every agent of the swarm starts from the same commit whatever the branch does meanwhile.
 */
export function resolveRepo(repo: string, baseRef = "HEAD"): { repo: string; baseRef: string } {
  let top: string;
  try {
    top = git(["rev-parse", "--show-toplevel"], repo);
  } catch (error) {
    throw new DashError(
      "VALIDATION_ERROR",
      `config.repo ${repo} is not a git repository (${(error as Error).message})`,
      {
        field: "config.repo",
      },
    );
  }
  try {
    return { repo: top, baseRef: git(["rev-parse", "--verify", "--quiet", `${baseRef}^{commit}`], top) };
  } catch {
    throw new DashError("VALIDATION_ERROR", `config.baseRef "${baseRef}" is not a commit of ${top}`, {
      field: "config.baseRef",
    });
  }
}

/** A branch name git accepts, from the swarm's and the agent's names. */
export function branchFor(swarmName: string, agentName: string): string {
  const part = (name: string) =>
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[-.]+|[-.]+$|\.\.+|\.lock$/g, "") || "x";
  return `dash/${part(swarmName)}/${part(agentName)}`;
}

export const worktreeDir = (home: string, swarmId: string, agentId: string) =>
  join(home, "worktrees", swarmId, agentId);

/** Where an agent runs: its worktree when its swarm names a repository, else its workspace. */
export const workDirOf = (home: string, agent: { id: string; swarmId: string }, repo: string | undefined) =>
  repo ? worktreeDir(home, agent.swarmId, agent.id) : join(home, "workspaces", agent.swarmId, agent.id);

/**
 * The agent's worktree, made on first use (a retry or a restart finds it and carries on). Its
 * branch is made from `base`, or taken as it is when it exists already (a worktree that was
 * pruned: the agent's commits are on the branch).
 */
export function ensureWorktree(repo: string, base: string, dir: string, branch: string): Promise<void> {
  return oneAtATime(`repo:${repo}`, async () => {
    if (existsSync(join(dir, ".git"))) return;
    await gitOut(["worktree", "prune"], repo);
    const exists = (await branchCommit(repo, branch)) !== null;
    await gitOut(["worktree", "add", ...(exists ? [dir, branch] : ["-b", branch, dir, base])], repo);
  });
}

/** Where the repository keeps what its worktrees write (objects, refs, each worktree's index). */
export function gitCommonDir(repo: string): Promise<string> {
  return gitOut(["rev-parse", "--path-format=absolute", "--git-common-dir"], repo);
}

/**
 * Commits what is left uncommitted in a worktree, as "Dash" and saying so, so nothing of an
 * agent's work lives only in a folder that may go. Dash's own run book stays out of the branch.
 */
export async function commitLeftovers(dir: string, message: string): Promise<void> {
  if (!(await gitOut(["status", "--porcelain"], dir))) return;
  await gitOut(["add", "-A", "--", ".", `:(exclude)${RUN_BOOK}`], dir);
  if (await gitOk(["diff", "--cached", "--quiet"], dir)) return;
  const who = ["-c", "user.name=Dash", "-c", "user.email=dash@localhost", "-c", "commit.gpgsign=false"];
  await gitOut([...who, "commit", "-q", "--no-verify", "-m", message], dir);
}

/**
 * Removes a swarm's worktrees, committing first what their agents left (an agent killed by the
 * destroy); the branches stay: unmerged work is never dropped.
 */
export function removeWorktrees(home: string, repo: string, swarmId: string): Promise<void> {
  const root = join(home, "worktrees", swarmId);
  return oneAtATime(`repo:${repo}`, async () => {
    if (!existsSync(root)) return;
    for (const agentId of readdirSync(root)) {
      const dir = join(root, agentId);
      if (existsSync(join(dir, ".git"))) {
        // A worktree git cannot read any more (pruned, broken) has nothing left to save.
        await commitLeftovers(dir, `dash: what agent ${agentId} left when its swarm was destroyed`).catch(
          () => {},
        );
      }
      await gitRun(["worktree", "remove", "--force", dir], repo);
    }
    // What git would not remove (a folder that is no longer a worktree) goes too; then git forgets it.
    rmSync(root, { recursive: true, force: true });
    await gitOut(["worktree", "prune"], repo);
  });
}
