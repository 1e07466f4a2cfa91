import type { ApprovalSettings } from "../domain/approval-context.ts";
import { DashError } from "../domain/errors.ts";
import type { Logger } from "../log.ts";
import type { Lifecycle } from "./lifecycle.ts";

/**
 * Applies what happens to approval requests nobody answers, so an agent never waits paused for
 * good: at the deadline each request's `onTimeout` (deny, approve, or kill the agent), and past
 * `escalateAfter` seconds one `approval.escalated` each. It runs at start (requests that came due
 * while no server ran) and then every `everyMs`.
 */
export class ApprovalTimer {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly everyMs: number,
    private readonly log: Logger,
    /** Only `escalateAfter` is read here: the timeout action is stored with each request. */
    private readonly settings: Pick<ApprovalSettings, "escalateAfter"> = {},
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

  /** Times out every pending request past its deadline, then escalates (one sweep at a time). */
  sweep(): Promise<void> {
    this.running ??= this.expire()
      .then(() => this.escalate())
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async expire(): Promise<void> {
    const due = await this.lifecycle.store.listApprovals({ status: "pending", expiredAt: Date.now() });
    for (const approval of due) await this.quietly("timing out", this.lifecycle.timeOutApproval(approval));
  }

  private async escalate(): Promise<void> {
    const after = this.settings.escalateAfter;
    if (!after) return;
    const due = await this.lifecycle.store.listApprovals({
      status: "pending",
      escalated: false,
      createdBefore: Date.now() - after * 1000,
    });
    for (const approval of due) {
      await this.quietly("escalating", this.lifecycle.escalateApproval(approval.id, after));
    }
  }

  /** Answered (or escalated) meanwhile, here or by another server: that stands. */
  private async quietly(what: string, write: Promise<unknown>): Promise<void> {
    await write.catch((error) => {
      if (!(error instanceof DashError))
        this.log.warn(`${what} an approval failed`, { error: String(error) });
    });
  }
}
