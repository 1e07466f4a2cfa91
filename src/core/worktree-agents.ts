/**
 * What a swarm with `config.repo` does with git around each agent: the worktree it runs in and
 * where its branch starts (its strategy decides), and, when it completes, what it changed.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AgentRecord } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import type { Logger } from "../log.ts";
import type { Store } from "../storage/store.ts";
import { gitOut } from "./git-async.ts";
import { branchFor, commitLeftovers, ensureWorktree, gitCommonDir, worktreeDir } from "./worktrees.ts";

/**
 * The agent's worktree, made on first use, and the branches it is told about (`DASH_BRANCHES`):
 * the previous stage's for a pipeline stage, every mapper's for a reducer. Null without a repo.
 */
export async function prepareWorktree(store: Store, home: string, swarm: SwarmRecord, agent: AgentRecord) {
  const start = await startOf(store, swarm, agent);
  if (!start) return null;
  const dir = worktreeDir(home, swarm.id, agent.id);
  const branch = branchFor(swarm.name, agent.name);
  await ensureWorktree(start.repo, start.base, dir, branch);
  return { dir, branch, base: start.base, others: start.others, gitDir: await gitCommonDir(start.repo) };
}

/** Where the agent's branch starts: a pipeline stage from where the previous stage ended. */
async function startOf(store: Store, swarm: SwarmRecord, agent: AgentRecord) {
  const { repo, baseRef } = swarm.config;
  if (!repo || !baseRef) return null;
  const siblings = await store.listAgents({ swarmId: swarm.id });
  const branchOf = (other: AgentRecord) => branchFor(swarm.name, other.name);
  const previous =
    agent.role === "stage"
      ? siblings.find((a) => a.role === "stage" && a.position === agent.position - 1)
      : undefined;
  if (previous) {
    const ended = (previous.result as { git?: { head?: string } } | null)?.git?.head;
    const base = ended ?? (await gitOut(["rev-parse", "--verify", `refs/heads/${branchOf(previous)}`], repo));
    return { repo, base, others: [branchOf(previous)] };
  }
  const others = agent.role === "reducer" ? siblings.filter((a) => a.role === "mapper").map(branchOf) : [];
  return { repo, base: baseRef, others };
}

export interface WorktreeChanges {
  branch: string;
  /** Where the branch started, and the commit it ended on. */
  base: string;
  head: string;
  commits: { sha: string; subject: string }[];
  files: { path: string; insertions: number; deletions: number }[];
  insertions: number;
  deletions: number;
}

/**
 * What an agent changed on its branch since its start. What it left uncommitted is committed
 * first, by Dash and saying so, so nothing of its work stays only in a worktree that may go.
 */
export async function recordChanges(dir: string, base: string, agentName: string): Promise<WorktreeChanges> {
  await commitLeftovers(dir, `dash: what ${agentName} left uncommitted`);
  const lines = (text: string) => text.split("\n").filter(Boolean);
  const commits = lines(await gitOut(["log", "--format=%H%x09%s", `${base}..HEAD`], dir)).map((line) => {
    const [sha = "", subject = ""] = line.split("\t");
    return { sha, subject };
  });
  const files = lines(await gitOut(["diff", "--numstat", base, "HEAD"], dir)).map((line) => {
    const [added = "0", removed = "0", path = ""] = line.split("\t");
    // Binary files say "-": they count as changed, with no lines.
    return { path, insertions: Number(added) || 0, deletions: Number(removed) || 0 };
  });
  return {
    branch: await gitOut(["rev-parse", "--abbrev-ref", "HEAD"], dir),
    base,
    head: await gitOut(["rev-parse", "HEAD"], dir),
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
  try {
    const start = swarm ? await startOf(store, swarm, agent) : null;
    if (!start) return result;
    const dir = worktreeDir(home, agent.swarmId, agent.id);
    return { output: result, git: await recordChanges(dir, start.base, agent.name) };
  } catch (error) {
    log.warn("what the agent changed could not be read", { agentId: agent.id, error: String(error) });
    return result;
  }
}

/**
 * What the agent changed against where its branch started, as `git diff` text: from its worktree
 * while it has one (uncommitted edits included), else between the commits its result recorded.
 */
export async function agentDiff(store: Store, home: string, agent: AgentRecord) {
  const swarm = await store.getSwarm(agent.swarmId);
  const start = swarm ? await startOf(store, swarm, agent) : null;
  if (!swarm || !start) {
    throw new DashError(
      "VALIDATION_ERROR",
      `agent ${agent.id} works in no repository (its swarm has no config.repo)`,
    );
  }
  const branch = branchFor(swarm.name, agent.name);
  const dir = worktreeDir(home, swarm.id, agent.id);
  const ended = (agent.result as { git?: { base?: string; head?: string } } | null)?.git;
  const diff = existsSync(join(dir, ".git"))
    ? await gitOut(["diff", start.base], dir)
    : await gitOut(["diff", ended?.base ?? start.base, ended?.head ?? `refs/heads/${branch}`], start.repo);
  return { agentId: agent.id, branch, base: ended?.base ?? start.base, diff };
}
