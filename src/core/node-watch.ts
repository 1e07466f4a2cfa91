import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { AgentRecord } from "../domain/agent.ts";
import { newId } from "../domain/ids.ts";
import type { Logger } from "../log.ts";
import { runFiles } from "../runtimes/run-files.ts";
import type { NodeRecord, NodeState } from "../storage/store.ts";
import type { Lifecycle } from "./lifecycle.ts";
import type { Scheduler } from "./scheduler.ts";

/**
 * One `dash serve` among several on one database. Each node beats (its `nodes` row) every
 * `heartbeatMs`; a node whose last beat is older than `leaseMs` has lost its agents. A surviving
 * node takes them over, each in its own transaction guarded by the agent's version (two nodes
 * cannot both have it): the agent fails with reason `node-lost`, and is retried here when it has
 * retries left (a runtime that can resume its session resumes it), so no agent stays `running`
 * with no process anywhere. A node that finds one of its own runs taken over (it could not beat:
 * a pause, a partition) stops that process and settles nothing: the agent is not its any more.
 */
export interface NodeWatchOptions {
  heartbeatMs: number;
  leaseMs: number;
}

/** This server's node id: made once per DASH_HOME and kept there, so a restart is the same node. */
export function nodeIdOf(home: string): string {
  const file = join(home, "node-id");
  if (existsSync(file)) {
    const id = readFileSync(file, "utf8").trim();
    if (/^[0-9A-Z]{26}$/.test(id)) return id;
  }
  mkdirSync(home, { recursive: true });
  const id = newId();
  writeFileSync(file, `${id}\n`);
  return id;
}

export class NodeWatch {
  private timer: ReturnType<typeof setInterval> | null = null;
  private ticking: Promise<void> | null = null;
  readonly node: NodeRecord;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly scheduler: Scheduler,
    node: { id: string; url: string | null; version: string },
    private readonly options: NodeWatchOptions,
    private readonly log: Logger,
  ) {
    const now = Date.now();
    this.node = { ...node, name: hostname(), startedAt: now, heartbeatAt: now };
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.tick(), this.options.heartbeatMs);
    this.timer.unref?.();
  }

  /** One beat, then what the beats of others (or their absence) say. One tick at a time. */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      await this.beat();
      await this.fenceOwnRuns();
      await this.takeOver();
    })()
      .catch((error) => this.log.warn("node watch failed", { error: String(error) }))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  private async beat(): Promise<void> {
    this.node.heartbeatAt = Date.now();
    await this.lifecycle.store.heartbeatNode(this.node);
  }

  /** Nodes whose lease ran out while they still have live agents. */
  private async deadNodes(): Promise<NodeState[]> {
    const now = Date.now();
    const nodes = await this.lifecycle.store.listNodes();
    return nodes.filter(
      (n) => n.id !== this.node.id && n.liveAgents > 0 && now - n.heartbeatAt > this.options.leaseMs,
    );
  }

  private async takeOver(): Promise<void> {
    for (const dead of await this.deadNodes()) {
      const agents: AgentRecord[] = [];
      for (const status of ["spawning", "running", "paused"] as const)
        agents.push(
          ...(await this.lifecycle.store.listAgents({ status })).filter((a) => a.nodeId === dead.id),
        );
      for (const agent of agents) await this.claim(agent, dead);
    }
  }

  private async claim(agent: AgentRecord, dead: NodeState): Promise<void> {
    const willRetry = agent.retryCount < agent.maxRetries;
    const message = `its node ${dead.name} (${dead.id}) stopped answering ${Math.round((Date.now() - dead.heartbeatAt) / 1000)} s ago; taken over by ${this.node.name}`;
    const moved = await this.lifecycle
      .moveAgent(agent.id, {
        to: "failed",
        // Only the version read above: another node that claimed it first wins, this one skips it.
        expectedVersion: agent.version,
        error: { message, reason: "node-lost", willRetry },
        // Its output log is per node: the next attempt's is read here, from what this node has of it.
        run: { nodeId: this.node.id, pid: null, logOffset: this.localLogSize(agent.id) },
      })
      .catch(() => null);
    if (!moved) return;
    this.log.warn("took over an agent of a lost node", { agentId: agent.id, node: dead.id, willRetry });
    if (!willRetry) return;
    const resume = await this.scheduler.keeper.sessionToResume(moved);
    this.scheduler.keeper.retryLater(agent.id, 0, resume);
  }

  private localLogSize(agentId: string): number {
    const { log } = runFiles(this.scheduler.options.home, agentId, 0);
    return statSync(log, { throwIfNoEntry: false })?.size ?? 0;
  }

  /** Runs this node follows whose agent another node now owns: stopped, not settled. */
  private async fenceOwnRuns(): Promise<void> {
    for (const id of this.scheduler.keeper.agentIds()) {
      const agent = await this.lifecycle.store.getAgent(id);
      if (!agent || agent.nodeId === null || agent.nodeId === this.node.id) continue;
      this.log.warn("an agent of this node was taken over by another: stopping its process", {
        agentId: id,
        owner: agent.nodeId,
      });
      await this.scheduler.keeper.disown(id);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }
}
