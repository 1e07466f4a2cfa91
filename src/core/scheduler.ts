import type { AgentRecord } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import type { EventRecord } from "../domain/event.ts";
import type { Provider } from "../domain/provider.ts";
import type { Logger } from "../log.ts";
import { AgentRun } from "../runtimes/agent-run.ts";
import { type RuntimePreset, resolveRuntime } from "../runtimes/presets.ts";
import type { Price } from "../runtimes/pricing.ts";
import { killGroup, signalGroup, startShim } from "../runtimes/process.ts";
import type { SandboxSettings } from "../safety/sandbox-plan.ts";
import { prepareAttempt } from "./attempt.ts";
import { removeWorkspaces } from "./cleanup.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { recoverRuns } from "./recovery.ts";
import { RunKeeper } from "./run-keeper.ts";
import { RuntimeControls } from "./runtime-controls.ts";
import { withChanges } from "./worktree-agents.ts";
import { workDirOf } from "./worktrees.ts";

/** Idle agents read at a time when looking for ones to start. */
const IDLE_PAGE = 100;

export interface SchedulerOptions {
  home: string;
  /** Where agents reach this server (DASH_URL). */
  url: string;
  presets: Record<string, RuntimePreset>;
  defaultRuntime: string;
  /** Per-million-token prices by model prefix (built-in table plus config.yaml's `pricing:`). */
  prices?: Record<string, Price>;
  maxConcurrency: number;
  killGraceMs: number;
  /** First retry delay; doubles per attempt, at most 30 s. */
  retryBackoffMs: number;
  /** How often logs are read and exits checked. */
  pollMs: number;
  /** What agents' sandboxes hide and allow (default: DASH_HOME hidden and protected). */
  sandbox?: SandboxSettings;
  /** The gateway's providers: agents that can are pointed at it, and never see these keys. */
  providers?: Record<string, Provider>;
  /** This server's node id: agents it starts are its own; recovery leaves other nodes' alone. */
  nodeId?: string;
}

/**
 * Starts agents as real processes and follows them (DESIGN.md §4). The database is the truth:
 * the supervisor reacts to committed events (an agent spawned, paused, resumed, killed; a swarm
 * started) by acting on processes, and turns what the processes do into writes through the
 * lifecycle. Stopping the supervisor leaves the agents running; the next start re-attaches.
 */
export class Scheduler {
  readonly keeper: RunKeeper;
  private unsubscribe: (() => void) | null = null;
  private poller: ReturnType<typeof setInterval> | null = null;
  private scheduling: Promise<void> | null = null;
  private again = false;
  private readonly controls: RuntimeControls;

  constructor(
    private readonly lifecycle: Lifecycle,
    readonly options: SchedulerOptions,
    private readonly log: Logger,
  ) {
    this.keeper = new RunKeeper(lifecycle, options, log, {
      relaunch: (agent, resume) => this.launch(agent, resume),
      resumable: async (agent) => (await this.runtimeFor(agent, agent.sessionId)).runtime.resumes,
      schedule: () => this.schedule(),
      completedResult: (agent, result) => withChanges(lifecycle.store, options.home, agent, result, log),
    });
    this.controls = new RuntimeControls(async (agentId) => {
      const agent = await lifecycle.store.getAgent(agentId);
      if (!agent) return undefined;
      const { swarm, runtime } = await this.runtimeFor(agent);
      return (
        runtime.control && {
          control: runtime.control,
          workspace: workDirOf(options.home, agent, swarm.config.repo),
        }
      );
    }, log);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.lifecycle.bus.subscribe((event) => this.onEvent(event));
    await recoverRuns(this, this.lifecycle, this.log);
    this.poller = setInterval(() => void this.keeper.poll(), this.options.pollMs);
    await this.schedule();
  }

  /** Stops following agents; their processes go on (they outlive the server by design). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.poller) clearInterval(this.poller);
    await this.scheduling;
    this.keeper.close();
  }

  /** Starts idle agents of active swarms while there is room under the concurrency cap. */
  schedule(): Promise<void> {
    if (this.scheduling) {
      this.again = true;
      return this.scheduling;
    }
    this.scheduling = (async () => {
      do {
        this.again = false;
        await this.startIdle().catch(this.log.onError("scheduling agents failed"));
      } while (this.again);
      this.scheduling = null;
    })();
    return this.scheduling;
  }

  private async startIdle(): Promise<void> {
    const room = this.options.maxConcurrency - this.keeper.size;
    if (room <= 0) return;
    const swarms = new Map<string, boolean>();
    let started = 0;
    for await (const agent of this.idleAgents()) {
      if (started >= room) return;
      if (!swarms.has(agent.swarmId)) {
        swarms.set(agent.swarmId, (await this.lifecycle.store.getSwarm(agent.swarmId))?.status === "active");
      }
      if (!swarms.get(agent.swarmId)) continue;
      // Admission: the move reserves the first step's expected cost, or is refused (no room).
      const run = { nodeId: this.options.nodeId ?? null };
      const spawning = await this.lifecycle.startAgent(agent.id, { to: "spawning", run }).catch(() => null);
      if (!spawning) continue; // killed or started meanwhile, or its budget is full for now
      started++;
      await this.launch(spawning);
      // Let requests in between launches: a batch of 100 must not hold the API for seconds.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Idle agents in id order, a page at a time: a wake-up with room for a few agents reads a few
   * rows, not every queued agent of every swarm (thousands, after a burst of creates).
   */
  private async *idleAgents() {
    let afterId: string | undefined;
    for (;;) {
      const page = await this.lifecycle.store.listAgents({ status: "idle", afterId, limit: IDLE_PAGE });
      yield* page;
      if (page.length < IDLE_PAGE) return;
      afterId = page.at(-1)?.id;
    }
  }

  /**
   * The agent's swarm and the runtime its config names (throws a DashError that says what is wrong).
   * `resume` is the session of a lost run, continued by presets that can (Claude's --resume).
   */
  async runtimeFor(agent: AgentRecord, resume: string | null = null) {
    const swarm = await this.lifecycle.store.getSwarm(agent.swarmId);
    if (!swarm) throw new DashError("NOT_FOUND", `swarm ${agent.swarmId} not found`);
    const budgetUsd = await this.remainingUsd(agent.swarmId);
    const runtime = resolveRuntime(
      {
        ...swarm.config,
        model: agent.model,
        task: agent.task,
        input: agent.input ?? undefined,
        agentId: agent.id,
        parentId: agent.parentId,
        session: resume,
        budgetUsd: budgetUsd !== null && budgetUsd > 0 ? budgetUsd : null,
        gateway: {
          url: this.options.url,
          apis: [...new Set(Object.values(this.options.providers ?? {}).map((p) => p.api))],
        },
      },
      this.options.presets,
      this.options.defaultRuntime,
      this.options.prices,
    );
    return { swarm, runtime, budgetUsd };
  }

  /** What remains of the swarm's USD budget (a spending cap for runtimes that take one); null for tokens. */
  private async remainingUsd(swarmId: string): Promise<number | null> {
    const budget = await this.lifecycle.store.getBudget("swarm", swarmId);
    return budget?.currency === "USD" ? (budget.allocatedUnits - budget.spentUnits) / 1e6 : null;
  }

  /** Starts the shim of the agent's current attempt; a launch that cannot work fails at once. */
  async launch(agent: AgentRecord, resume: string | null = null): Promise<void> {
    try {
      const { swarm, runtime } = await this.runtimeFor(agent, resume);
      const { store } = this.lifecycle;
      const attempt = await prepareAttempt(store, this.options, agent, runtime, swarm);
      const { files, tokenId, sandbox, user, warning } = attempt;
      if (warning) this.log.warn(`agent ${warning}`, { agentId: agent.id });
      const { child, pid, startTime } = startShim(files.spec, files.shim);
      const moved = await this.lifecycle
        .moveAgent(agent.id, {
          to: "running",
          user,
          warning,
          run: {
            pid,
            exitCode: null,
            sandbox,
            metering: runtime.metering,
            nodeId: this.options.nodeId ?? null,
          },
        })
        .catch(() => null);
      if (!moved) {
        // Killed (or its swarm destroyed) while it was starting: it must not run on unseen.
        await killGroup(pid, this.options.killGraceMs);
        return;
      }
      const run = new AgentRun(
        agent.id,
        agent.retryCount,
        files,
        pid,
        startTime,
        runtime.parser(),
        agent.logOffset,
        swarm.config.timeout,
      );
      run.child = child;
      run.tokenId = tokenId;
      run.metering = runtime.metering;
      child.exited.then(() => {
        run.shimExited = true;
      });
      this.keeper.add(run);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn("agent could not start", { agentId: agent.id, error: message });
      await this.lifecycle
        .moveAgent(agent.id, { to: "failed", error: { message, reason: "start" } })
        .catch(this.log.onError("recording a failed start failed"));
    }
  }

  private onEvent(event: EventRecord): void {
    const agentId = typeof event.data.agentId === "string" ? event.data.agentId : null;
    const run = agentId ? this.keeper.get(agentId) : undefined;
    switch (event.type) {
      case "agent.spawned":
      case "swarm.started":
      case "swarm.resumed":
      case "budget.allocated": // idle agents waiting for room may be admitted now
        void this.schedule();
        return;
      case "agent.paused":
        if (run && signalGroup(run.pid, "SIGSTOP")) {
          run.stopClock();
          void this.controls.run(run.agentId, "pause");
        }
        return;
      case "agent.resumed":
        // A runtime's own resume (OpenClaw's continuation) goes first: the process follows it.
        if (run)
          void this.controls.run(run.agentId, "resume").then(() => {
            if (signalGroup(run.pid, "SIGCONT")) this.keeper.startClock(run);
          });
        return;
      case "agent.killed":
        if (!run) return;
        // Refused by the gateway for money: the CLI got the provider-shaped refusal and stops by
        // itself (its calls are refused from now on); the kill follows only if it lingers.
        if ((event.data.error as { reason?: string } | undefined)?.reason === "budget") {
          setTimeout(() => void this.keeper.stopRun(run, "kill"), this.options.killGraceMs).unref();
        } else void this.keeper.stopRun(run, "kill");
        return;
      case "swarm.destroyed": {
        const { store } = this.lifecycle;
        const wait = this.options.killGraceMs + 2000;
        void removeWorkspaces(store, this.options.home, event.source, wait, this.log).catch(
          this.log.onError("removing a destroyed swarm's workspaces failed"),
        );
        return;
      }
    }
  }
}
