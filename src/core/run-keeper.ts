import type { AgentRecord } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import { LIVE_AGENT_STATUSES } from "../domain/states.ts";
import type { Logger } from "../log.ts";
import { type AgentRun, lostExit } from "../runtimes/agent-run.ts";
import { isSameProcess, killGroup } from "../runtimes/process.ts";
import { readExitStatus } from "../runtimes/run-files.ts";
import type { ExitStatus } from "../runtimes/runtime.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { applyNewLines } from "./run-reports.ts";

export interface KeeperOptions {
  killGraceMs: number;
  retryBackoffMs: number;
  /** This server's node: the agents it starts are its own (see core/node-watch.ts). */
  nodeId?: string;
}

export interface KeeperHooks {
  relaunch: (agent: AgentRecord, resume: string | null) => Promise<void>;
  /** Whether the agent's runtime can continue its reported session (then a lost run is resumed). */
  resumable: (agent: AgentRecord) => Promise<boolean>;
  schedule: () => Promise<void>;
  /** The result a completed agent is recorded with (a worktree agent's adds what it changed). */
  completedResult?: (agent: AgentRecord, result: unknown) => Promise<unknown>;
}

/**
 * Follows the running attempts: turns each report line into a write (core/run-reports.ts) as soon
 * as its log grows (the poll is the backstop), stops runs that are killed or time out, and settles
 * each attempt when its shim has recorded the exit.
 */
export class RunKeeper {
  private readonly runs = new Map<string, AgentRun>();
  private polling: Promise<void> | null = null;
  private readonly retries = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly options: KeeperOptions,
    private readonly log: Logger,
    private readonly hooks: KeeperHooks,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  get(agentId: string): AgentRun | undefined {
    return this.runs.get(agentId);
  }

  add(run: AgentRun, paused = false): void {
    this.runs.set(run.agentId, run);
    // Metered as each line is written, not at the next poll: a report that leaves no room stops
    // the agent before it can print many more (the poll still reads a run that cannot be watched).
    run.watch(() => void this.follow(run));
    if (!paused) this.startClock(run);
  }

  startClock(run: AgentRun): void {
    run.startClock(() => void this.stopRun(run, "timeout"));
  }

  async stopRun(run: AgentRun, why: "kill" | "timeout"): Promise<void> {
    if (run.stopping) return;
    run.stopping = why;
    run.stopClock();
    await killGroup(run.pid, this.options.killGraceMs);
  }

  /** One pass over every run; overlapping calls share the pass in progress. */
  poll(): Promise<void> {
    this.polling ??= (async () => {
      for (const run of [...this.runs.values()]) {
        try {
          await this.follow(run);
          if (this.ended(run)) await this.finish(run);
        } catch (error) {
          this.log.warn("following an agent failed", { agentId: run.agentId, error: String(error) });
        }
      }
    })().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /** The agents whose processes this server follows. */
  agentIds(): string[] {
    return [...this.runs.keys()];
  }

  /**
   * A run this node no longer owns (another node took its agent over while this one could not
   * beat): its process is stopped and nothing of it is settled, the other node does that.
   */
  async disown(agentId: string): Promise<void> {
    const run = this.runs.get(agentId);
    if (!run) return;
    this.runs.delete(agentId);
    run.close();
    await killGroup(run.pid, this.options.killGraceMs);
  }

  close(): void {
    for (const timer of this.retries) clearTimeout(timer);
    for (const run of this.runs.values()) run.close();
    this.runs.clear();
  }

  private ended(run: AgentRun): boolean {
    if (run.child) return run.shimExited;
    return !isSameProcess(run.pid, run.startTime);
  }

  /** Applies what the run wrote since; a pass in progress covers the call (and reads again after). */
  follow(run: AgentRun): Promise<void> {
    return run
      .follow(() => applyNewLines(this.lifecycle, this.log, run))
      .catch((error) => {
        this.log.warn("reading an agent's log failed", { agentId: run.agentId, error: String(error) });
      });
  }

  /** Settles an attempt whose shim has ended: completed, failed (and maybe retried), or nothing if killed. */
  async finish(run: AgentRun): Promise<void> {
    await run.stopFollowing();
    await applyNewLines(this.lifecycle, this.log, run, true);
    this.runs.delete(run.agentId);
    run.close();
    const exit = readExitStatus(run.files.exit) ?? lostExit();
    const agent = await this.lifecycle.store.getAgent(run.agentId);
    await this.revokeToken(run);
    // Another node's now (taken over while this one could not beat): that node settles it.
    const mine = !agent?.nodeId || !this.options.nodeId || agent.nodeId === this.options.nodeId;
    if (agent && mine && LIVE_AGENT_STATUSES.has(agent.status)) await this.settle(agent, run, exit);
    void this.hooks.schedule();
  }

  private async settle(agent: AgentRecord, run: AgentRun, exit: ExitStatus): Promise<void> {
    const bookkeeping = { logOffset: run.readEnd ?? agent.logOffset, exitCode: exit.code, pid: null };
    const owner = this.options.nodeId;
    if (exit.code === 0 && !run.errorMessage && !run.stopping) {
      const result = run.result ?? null;
      await this.lifecycle.moveAgent(agent.id, {
        to: "completed",
        owner,
        result: this.hooks.completedResult ? await this.hooks.completedResult(agent, result) : result,
        run: bookkeeping,
      });
      return;
    }
    const timedOut = run.stopping === "timeout";
    const willRetry = !timedOut && !exit.error && agent.retryCount < agent.maxRetries;
    const how = exit.lost
      ? "ended without an exit status (its process was killed, or the machine restarted)"
      : exit.signal
        ? `was stopped by ${exit.signal}`
        : `exited with code ${exit.code}`;
    const message = timedOut
      ? `timed out after ${run.timeoutMs} ms and was killed`
      : (exit.error ?? run.errorMessage ?? `the agent ${how}`);
    const error = {
      message,
      reason: timedOut ? "timeout" : exit.lost ? "lost" : "exit",
      exitCode: exit.code,
      signal: exit.signal,
      lastLines: run.lastLines.slice(-10),
      willRetry,
    };
    await this.lifecycle.moveAgent(agent.id, { to: "failed", error, run: bookkeeping, owner });
    if (willRetry)
      this.retryLater(agent.id, agent.retryCount, exit.lost ? await this.sessionToResume(agent) : null);
  }

  /** A lost run that reported a session is continued, not started over, when its runtime can. */
  async sessionToResume(agent: AgentRecord): Promise<string | null> {
    if (!agent.sessionId) return null;
    return (await this.hooks.resumable(agent).catch(() => false)) ? agent.sessionId : null;
  }

  /** Backoff doubles per attempt, at most 30 s; the retry is the state machine's failed → spawning. */
  retryLater(agentId: string, attempt: number, resume: string | null = null): void {
    const delay = Math.min(30_000, this.options.retryBackoffMs * 2 ** attempt);
    const reason = resume ? `resuming session ${resume}: its process was lost` : undefined;
    const timer = setTimeout(async () => {
      this.retries.delete(timer);
      const run = { nodeId: this.options.nodeId ?? null };
      const spawning = await this.lifecycle
        .startAgent(agentId, { to: "spawning", reason, run })
        .catch((error) => {
          // No room in its budget for now (others hold reservations): try again later, not never.
          if (error instanceof DashError && error.code === "BUDGET_EXCEEDED")
            this.retryLater(agentId, attempt, resume);
          return null;
        });
      if (spawning) await this.hooks.relaunch(spawning, resume);
    }, delay);
    this.retries.add(timer);
  }

  /** An agent's key ends with its attempt: a leftover process cannot use it afterwards. */
  private async revokeToken(run: AgentRun): Promise<void> {
    const store = this.lifecycle.store;
    if (run.tokenId) return void (await store.updateApiKey(run.tokenId, { isActive: false }));
    // Followed since a restart: find it by name (rare, so a scan is fine).
    const agentId = run.agentId;
    for (const key of await store.listApiKeys()) {
      if (key.isActive && key.name === `agent ${agentId}`)
        await store.updateApiKey(key.id, { isActive: false });
    }
  }
}
