import type { BudgetRecord } from "../domain/budget.ts";
import { FINISHED_SWARM_STATUSES } from "../domain/states.ts";
import type { Logger } from "../log.ts";
import { decideForecast, progressProjection } from "../safety/forecast.ts";
import type { Lifecycle } from "./lifecycle.ts";

/**
 * Samples every budget that is still in use each `everyMs`: burn rate, projection and minutes
 * left, written on the budget row (GET /api/budget serves them) through the write path, with the
 * predictive `budget.projected` event when the projection first reaches the allocation.
 */
export class Forecaster {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly everyMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sample()
        .catch(this.log.onError("sampling budgets failed"))
        .finally(() => {
          this.running = null;
        });
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the budgets in use (swarm budgets of unfinished swarms, agents', projects'). */
  async sample(now = Date.now()): Promise<void> {
    const { store } = this.lifecycle;
    // Sampling starts with the first spend (decideForecast): budgets nothing was spent from, like
    // every new swarm's, are not read. Whether a sample is due does not depend on progress (only
    // its projection does), so a budget with nothing new costs no read of its swarm's agents.
    for (const budget of await store.listBudgets({ spent: true })) {
      if (!decideForecast(budget, now, null)) continue;
      let progress: number | null = null;
      if (budget.entityType === "swarm") {
        const swarm = await store.getSwarm(budget.entityId);
        if (!swarm || FINISHED_SWARM_STATUSES.has(swarm.status)) continue;
        progress = progressProjection(await store.listAgents({ swarmId: swarm.id }));
      }
      await this.lifecycle.updateBudget(budget, (current: BudgetRecord) => {
        return decideForecast(current, now, progress) ?? { patch: {}, events: [] };
      });
    }
  }
}
