import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import type { AgentRecord } from "../domain/agent.ts";
import { type ApprovalContext, boundContext, CONTEXT_BOUNDS } from "../domain/approval-context.ts";
import { fromUnits } from "../domain/money.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import { RUN_BOOK } from "../runtimes/openclaw-runs.ts";
import { runFiles } from "../runtimes/run-files.ts";
import type { NewApproval, Store } from "../storage/store.ts";
import { gitOut } from "./git-async.ts";
import { branchFor, worktreeDir } from "./worktrees.ts";

/**
 * Gathers what a person needs to decide an approval, when it is asked (domain/approval-context.ts):
 * the task, the agent's last log lines, its cost and its swarm's, the files it changed, what the
 * timeout does and the commands that answer. Each part that cannot be read is left out: asking
 * never fails for want of context.
 */
export async function gatherContext(
  store: Store,
  approval: NewApproval,
  home?: string,
): Promise<{ context: ApprovalContext; swarmId: string | null }> {
  const agent = approval.agentId ? await store.getAgent(approval.agentId) : null;
  const swarmId = agent?.swarmId ?? approval.swarmId;
  const swarm = swarmId ? await store.getSwarm(swarmId) : null;
  const context: ApprovalContext = {
    task: agent?.task ?? swarm?.task ?? null,
    agent: agent
      ? {
          id: agent.id,
          name: agent.name,
          status: agent.status,
          costUsd: fromUnits(agent.costMicros, "USD"),
        }
      : null,
    swarm: swarm
      ? { id: swarm.id, name: swarm.name, status: swarm.status, costUsd: await swarmCostUsd(store, swarm) }
      : null,
    log: agent && home ? lastLines(runFiles(home, agent.id, 0).log, CONTEXT_BOUNDS.logLines) : [],
    ...(agent && swarm && home ? await changedFiles(home, swarm, agent) : {}),
    onTimeout: { action: approval.onTimeout, at: new Date(approval.expiresAt).toISOString() },
    answer: {
      approve: `dash approvals approve ${approval.id}`,
      deny: `dash approvals deny ${approval.id}`,
    },
  };
  return { context: boundContext(context), swarmId };
}

/** The swarm's spend in USD: its budget's when that counts dollars, else what its agents cost. */
async function swarmCostUsd(store: Store, swarm: SwarmRecord): Promise<number> {
  const budget = await store.getBudget("swarm", swarm.id);
  if (budget?.currency === "USD") return fromUnits(budget.spentUnits, "USD");
  const agents = await store.listAgents({ swarmId: swarm.id, limit: 10_000 });
  return fromUnits(
    agents.reduce((sum, a) => sum + a.costMicros, 0),
    "USD",
  );
}

/**
 * The last `count` lines of a log, from its last bytes only (a log can be gigabytes): enough bytes
 * for `count` lines at their bound, the first (maybe partial) line dropped unless the file begins there.
 */
export function lastLines(path: string, count: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, count * CONTEXT_BOUNDS.lastLine * 4);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (length < size) lines.shift();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}

/**
 * What the agent changed in its worktree (committed or not) since its branch was made: the
 * branch's first reflog entry is where `git worktree add -b` started it, whatever its strategy
 * chose; the swarm's base commit when the reflog is gone. Nothing without a worktree.
 */
async function changedFiles(
  home: string,
  swarm: SwarmRecord,
  agent: AgentRecord,
): Promise<Pick<ApprovalContext, "files">> {
  const dir = worktreeDir(home, swarm.id, agent.id);
  if (!swarm.config.repo || !existsSync(join(dir, ".git"))) return {};
  try {
    const branch = `refs/heads/${branchFor(swarm.name, agent.name)}`;
    const reflog = await gitOut(["reflog", "show", "--format=%H", branch], dir).catch(() => "");
    const base = reflog.split("\n").filter(Boolean).at(-1) ?? (swarm.config.baseRef as string);
    const outside = ["--", ".", `:(exclude)${RUN_BOOK}`];
    const numstat = await gitOut(["diff", "--numstat", base, ...outside], dir);
    const untracked = await gitOut(["ls-files", "--others", "--exclude-standard", ...outside], dir);
    const lines = (text: string) => text.split("\n").filter(Boolean);
    const files: NonNullable<ApprovalContext["files"]> = lines(numstat).map((line) => {
      const [added = "0", removed = "0", ...path] = line.split("\t");
      // Binary files say "-": changed, with no lines counted.
      return { path: path.join("\t"), insertions: Number(added) || 0, deletions: Number(removed) || 0 };
    });
    for (const path of lines(untracked)) files.push({ path, insertions: 0, deletions: 0, untracked: true });
    return { files };
  } catch {
    return {};
  }
}
