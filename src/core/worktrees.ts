/**
 * Git worktrees for swarms that name a repository (`config.repo`): each agent works on its own
 * branch `dash/<swarm>/<agent>` in `DASH_HOME/worktrees/<swarm id>/<agent id>`, made from the
 * swarm's base commit. The user's own checkout (working tree and index) is never touched: only
 * `git worktree` and branch refs are used against the repository. argv only, never a shell.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { AgentRecord } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import type { Logger } from "../log.ts";
import type { Store } from "../storage/store.ts";

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

/**
 * The agent's worktree, made on first use (a retry or a restart finds it and carries on). Its
 * branch is made from `base`, or taken as it is when it exists already (a worktree that was
 * pruned: the agent's commits are on the branch).
 */
export function ensureWorktree(repo: string, base: string, dir: string, branch: string): void {
  if (existsSync(join(dir, ".git"))) return;
  git(["worktree", "prune"], repo);
  const exists =
    Bun.spawnSync(["git", "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: repo })
      .exitCode === 0;
  git(["worktree", "add", ...(exists ? [dir, branch] : ["-b", branch, dir, base])], repo);
}

/** Where the repository keeps what its worktrees write (objects, refs, each worktree's index). */
export function gitCommonDir(repo: string): string {
  return git(["rev-parse", "--path-format=absolute", "--git-common-dir"], repo);
}

/** Removes a swarm's worktrees (the branches stay: unmerged work is never dropped). */
export function removeWorktrees(home: string, repo: string, swarmId: string): void {
  const root = join(home, "worktrees", swarmId);
  if (!existsSync(root)) return;
  for (const agentId of readdirSync(root)) {
    Bun.spawnSync(["git", "worktree", "remove", "--force", join(root, agentId)], { cwd: repo });
  }
  git(["worktree", "prune"], repo);
}

export interface WorktreeChanges {
  branch: string;
  base: string;
  commits: { sha: string; subject: string }[];
  files: { path: string; insertions: number; deletions: number }[];
  insertions: number;
  deletions: number;
}

/**
 * What an agent changed on its branch since the base. What it left uncommitted is committed first,
 * by Dash and saying so, so nothing of its work stays only in a worktree that may be removed.
 */
export function recordChanges(dir: string, base: string, agentName: string): WorktreeChanges {
  if (git(["status", "--porcelain"], dir)) {
    git(["add", "-A"], dir);
    const who = ["-c", "user.name=Dash", "-c", "user.email=dash@localhost"];
    git([...who, "commit", "-q", "--no-verify", "-m", `dash: what ${agentName} left uncommitted`], dir);
  }
  const lines = (text: string) => text.split("\n").filter(Boolean);
  const commits = lines(git(["log", "--format=%H%x09%s", `${base}..HEAD`], dir)).map((line) => {
    const [sha = "", subject = ""] = line.split("\t");
    return { sha, subject };
  });
  const files = lines(git(["diff", "--numstat", base, "HEAD"], dir)).map((line) => {
    const [added = "0", removed = "0", path = ""] = line.split("\t");
    // Binary files say "-": they count as changed, with no lines.
    return { path, insertions: Number(added) || 0, deletions: Number(removed) || 0 };
  });
  return {
    branch: git(["rev-parse", "--abbrev-ref", "HEAD"], dir),
    base,
    commits,
    files,
    insertions: files.reduce((n, f) => n + f.insertions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
  };
}

/** A worktree agent's result carries what it changed on its branch: `{ output, git }`. */
export async function withChanges(
  store: Store,
  home: string,
  agent: AgentRecord,
  result: unknown,
  log: Logger,
): Promise<unknown> {
  const swarm = await store.getSwarm(agent.swarmId);
  if (!swarm?.config.repo || !swarm.config.baseRef) return result;
  try {
    const dir = worktreeDir(home, agent.swarmId, agent.id);
    return { output: result, git: recordChanges(dir, swarm.config.baseRef, agent.name) };
  } catch (error) {
    log.warn("what the agent changed could not be read", { agentId: agent.id, error: String(error) });
    return result;
  }
}
