import { statSync } from "node:fs";
import type { AgentRecord } from "../domain/agent.ts";
import type { Logger } from "../log.ts";
import { AgentRun } from "../runtimes/agent-run.ts";
import { isSameProcess, signalGroup } from "../runtimes/process.ts";
import { readShimIdentity, runFiles } from "../runtimes/run-files.ts";
import type { Lifecycle } from "./lifecycle.ts";
import type { Scheduler } from "./scheduler.ts";

/**
 * At startup (DESIGN.md §4): every agent the database says is spawning, running or paused is either
 * re-attached to its live shim (pid + start time, so a reused pid is not mistaken) and read from
 * its stored log offset, or, if its attempt ended while the server was down, settled from what the
 * shim recorded (and retried if it failed). A spawning agent whose shim never started is launched;
 * a failed one that was waiting for its retry gets it. No agent stays live without a process.
 */
export async function recoverRuns(scheduler: Scheduler, lifecycle: Lifecycle, log: Logger): Promise<void> {
  const { store } = lifecycle;
  const live: AgentRecord[] = [];
  for (const status of ["spawning", "running", "paused"] as const)
    live.push(...(await store.listAgents({ status })));
  const self = scheduler.options.nodeId;
  for (const agent of live) {
    // Another node's agent is that node's to follow (or to be taken over from it: node-watch.ts).
    if (self && agent.nodeId !== null && agent.nodeId !== self) continue;
    try {
      await recoverOne(scheduler, lifecycle, agent, log);
    } catch (error) {
      log.warn("recovering an agent failed", { agentId: agent.id, error: String(error) });
    }
  }
  for (const agent of await store.listAgents({ status: "failed" })) {
    const error = agent.error as { willRetry?: boolean; reason?: string } | null;
    if (!error?.willRetry || agent.retryCount >= agent.maxRetries) continue;
    const lostRun = error.reason === "lost" || error.reason === "node-lost";
    const resume = lostRun ? await scheduler.keeper.sessionToResume(agent) : null;
    scheduler.keeper.retryLater(agent.id, 0, resume);
  }
}

async function recoverOne(scheduler: Scheduler, lifecycle: Lifecycle, agent: AgentRecord, log: Logger) {
  const files = runFiles(scheduler.options.home, agent.id, agent.retryCount);
  const identity = readShimIdentity(files.shim);
  if (!identity) {
    if (agent.status === "spawning") return scheduler.launch(agent);
    log.warn("a live agent has no shim record; failing it", { agentId: agent.id });
  }
  const { swarm, runtime } = await scheduler.runtimeFor(agent);
  const pid = identity?.pid ?? agent.pid ?? 0;
  const run = new AgentRun(
    agent.id,
    agent.retryCount,
    files,
    pid,
    identity?.startTime ?? "",
    runtime.parser(),
    agent.logOffset,
    swarm.config.timeout,
  );
  run.metering = agent.metering ?? runtime.metering;
  if (identity && isSameProcess(identity.pid, identity.startTime)) {
    run.spend(Date.now() - statSync(files.shim).mtimeMs);
    if (agent.status === "spawning") await lifecycle.moveAgent(agent.id, { to: "running", run: { pid } });
    if (agent.status === "paused") signalGroup(pid, "SIGSTOP");
    scheduler.keeper.add(run, agent.status === "paused");
    log.info("re-attached to a running agent", { agentId: agent.id, pid });
    return;
  }
  // Ended while the server was down: read what it wrote, then settle it like any other exit.
  await scheduler.keeper.finish(run);
}
