import type { BudgetEntity } from "../domain/budget.ts";
import type { EventRecord } from "../domain/event.ts";
import { FINISHED_SWARM_STATUSES } from "../domain/states.ts";
import type { Logger } from "../log.ts";
import {
  approveBudgetGoOn,
  enforceBudget,
  type PendingActions,
  releaseHeld,
  releaseSwarm,
} from "./budget-actions.ts";
import type { Lifecycle } from "./lifecycle.ts";

const ENDED = new Set(["agent.completed", "agent.failed", "agent.killed"]);

/**
 * Moves swarms along. Like the scheduler it reacts to committed events and acts only through the
 * lifecycle: an agent that ended lets its swarm's strategy add the next agents or finish the swarm;
 * a budget threshold acts on the budget's agents (pause, kill); more money, a settled step or a
 * finished agent lets agents held by their budget go on. Work is queued per swarm, so a burst of
 * 50 agents ending is 50 short transactions in a row, not 50 at once; each re-reads the truth.
 */
export class Conductor {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly pending = new Set<string>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly log: Logger,
  ) {}

  /** Subscribes, then catches up on what happened while no server ran (recovery). */
  async start(): Promise<void> {
    this.unsubscribe = this.lifecycle.bus.subscribe((event) => this.onEvent(event));
    const { store } = this.lifecycle;
    for (const swarm of await store.listSwarms()) {
      if (FINISHED_SWARM_STATUSES.has(swarm.status)) continue;
      this.onSwarm(swarm.id);
      const budget = await store.getBudget("swarm", swarm.id);
      if (budget) {
        this.queue(`budget:${budget.id}`, () =>
          enforceBudget(this.lifecycle, budget, "budget: hard stop", true),
        );
      }
    }
  }

  /** Waits for queued work, then stops listening. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  private onEvent(event: EventRecord): void {
    const swarmId = typeof event.data.swarmId === "string" ? event.data.swarmId : null;
    const { entityType, entityId, budgetId, level } = event.data as Record<string, string>;
    if (ENDED.has(event.type) && swarmId) {
      this.onSwarm(swarmId);
    } else if ((event.type === "agent.usage" || event.type === "swarm.resumed") && swarmId) {
      this.queue(`held:${swarmId}`, () => releaseHeld(this.lifecycle, swarmId, this.actions));
    } else if (event.type === "budget.threshold" || event.type === "budget.projected") {
      // Several thresholds crossed at once are one job: it applies the strongest action in force.
      const reason =
        event.type === "budget.projected"
          ? "budget: projected to pass its allocation"
          : `budget: ${level} threshold reached`;
      this.queue(`budget:${budgetId}`, async () => {
        const budget = await this.lifecycle.store.getBudget(entityType as BudgetEntity, entityId as string);
        if (budget) await enforceBudget(this.lifecycle, budget, reason);
      });
    } else if (event.type === "approval.resolved" && event.data.kind === "budget" && swarmId) {
      if (event.data.status === "approved") {
        this.queue(`approved:${swarmId}`, () =>
          approveBudgetGoOn(this.lifecycle, swarmId, String(event.data.approvalId)),
        );
      }
    } else if (event.type === "budget.allocated") {
      this.queue(`allocated:${entityId}`, () =>
        releaseSwarm(this.lifecycle, entityType as BudgetEntity, entityId as string, this.actions),
      );
    }
  }

  /** The strategy's next step for the swarm, then any held agents that may go on. */
  private onSwarm(swarmId: string): void {
    this.queue(`swarm:${swarmId}`, async () => {
      await this.lifecycle.advanceSwarm(swarmId);
      await releaseHeld(this.lifecycle, swarmId, this.actions);
    });
  }

  /**
   * Budget jobs queued or running: a threshold's pause or kill is queued while its report's events
   * are published, so a hold that report made is never let go before the budget's action applies.
   */
  private readonly actions: PendingActions = {
    pending: () => [...this.queues.keys()].some((key) => key.startsWith("budget:")),
    settled: async () => {
      await Promise.all([...this.queues].filter(([key]) => key.startsWith("budget:")).map(([, job]) => job));
    },
  };

  /** Runs `job` after the key's previous job; a job already waiting to run covers a new request. */
  private queue(key: string, job: () => Promise<unknown>): void {
    if (this.pending.has(key)) return;
    this.pending.add(key);
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      this.pending.delete(key);
      await job().catch((error) => this.log.warn("swarm step failed", { key, error: String(error) }));
    });
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }
}
