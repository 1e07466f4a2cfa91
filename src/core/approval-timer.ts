import { DashError } from "../domain/errors.ts";
import type { Logger } from "../log.ts";
import type { Lifecycle } from "./lifecycle.ts";

/**
 * Denies approval requests nobody answered in time, so an agent never waits paused for good. It
 * runs at start (requests that expired while no server ran) and then every `everyMs`.
 */
export class ApprovalTimer {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly everyMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Denies every pending request past its deadline (one sweep at a time). */
  sweep(): Promise<void> {
    this.running ??= this.expire().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async expire(): Promise<void> {
    const { store } = this.lifecycle;
    const due = await store.listApprovals({ status: "pending", expiredAt: Date.now() });
    for (const approval of due) {
      const seconds = Math.round((approval.expiresAt - approval.createdAt) / 1000);
      await this.lifecycle
        .answerApproval(approval.id, {
          status: "denied",
          reason: `timed out after ${seconds}s`,
          by: "timeout",
        })
        .catch((error) => {
          // Answered meanwhile: that answer stands.
          if (!(error instanceof DashError))
            this.log.warn("expiring an approval failed", { error: String(error) });
        });
    }
  }
}
