import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log.ts";
import { groupAlive } from "../runtimes/process.ts";
import type { Store } from "../storage/store.ts";
import { removeWorktrees } from "./worktrees.ts";

/**
 * A destroyed swarm's workspaces go once none of its agents' process groups is alive any more
 * (the kills of the destroy are under way; they take at most the kill grace). The run folders
 * (logs, exit records) stay: `dash agent logs` still works after a destroy. Git worktrees go too;
 * their branches stay (unmerged work is never dropped).
 */
export async function removeWorkspaces(
  store: Store,
  home: string,
  swarmId: string,
  waitMs: number,
  log: Logger,
): Promise<void> {
  const pids = (await store.listAgents({ swarmId })).flatMap((a) => (a.pid ? [a.pid] : []));
  const end = Date.now() + waitMs;
  while (pids.some(groupAlive)) {
    if (Date.now() > end) {
      log.warn("a destroyed swarm still has live processes; its workspaces stay", { swarmId });
      return;
    }
    await Bun.sleep(50);
  }
  rmSync(join(home, "workspaces", swarmId), { recursive: true, force: true });
  const repo = (await store.getSwarm(swarmId))?.config.repo;
  if (repo) await removeWorktrees(home, repo, swarmId);
}
