import type { DashClient } from "../../client/client.ts";
import { EventStream } from "../../client/events.ts";
import type { DashEvent } from "../../domain/event.ts";
import { mergeNotice } from "./merge-ask.ts";
import type { DashboardStore } from "./store.ts";

/** Events after which the budgets (spent, burn rate, projection, level) are fetched again. */
const BUDGET_EVENTS = /^(agent\.usage|budget\.|swarm\.(created|destroyed|completed|failed))/;

export interface FeedOptions {
  /** How far back the event stream starts, to fill the event log and the spend sparkline. */
  historyMs?: number;
  /** At most one budgets request per this many ms. */
  budgetEveryMs?: number;
  /** First reconnect delay (tests shorten it). */
  reconnectMs?: number;
}

/**
 * Feeds the store from a Dash server: a REST snapshot (swarms, agents, budgets, pending approvals),
 * then the event stream, which resumes after its last event on reconnect. Events that arrive while
 * a snapshot is on its way are re-applied on top of it, so nothing that happened meanwhile is lost.
 */
export class DashboardFeed {
  private stream: EventStream | null = null;
  private duringRefresh: DashEvent[] | null = null;
  private budgetTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private opens = 0;

  constructor(
    readonly client: DashClient,
    readonly store: DashboardStore,
    private readonly options: FeedOptions = {},
  ) {}

  /** Loads the first snapshot (throws UNREACHABLE and the like for the caller) and starts the stream. */
  async start(): Promise<void> {
    this.stopped = false;
    const since = new Date(Date.now() - (this.options.historyMs ?? 300_000)).toISOString();
    const refreshing = this.refresh();
    this.stream = new EventStream({
      connection: this.client.connection,
      since,
      minDelayMs: this.options.reconnectMs ?? 1000,
      onEvent: (event) => this.receive(event),
      onStatus: (status) => {
        if (status.state === "open") {
          this.store.setConnection("live");
          // Back after a drop: the stream resumes, and a snapshot catches what retention dropped.
          if (++this.opens > 1) this.refresh().catch(() => {});
          return;
        }
        this.store.setConnection(status.state === "fatal" ? "offline" : "reconnecting");
        if (status.state === "fatal")
          this.store.setNotice(`event stream refused: ${status.reason ?? status.code}`);
      },
    }).start();
    await refreshing;
  }

  stop(): void {
    this.stopped = true;
    this.stream?.stop();
    if (this.budgetTimer) clearTimeout(this.budgetTimer);
    this.budgetTimer = null;
  }

  /** Reloads swarms, agents, budgets and pending approvals (the `r` key). */
  async refresh(): Promise<void> {
    const newer: DashEvent[] = [];
    this.duringRefresh = newer;
    try {
      const [swarms, agents, budgets, approvals] = await Promise.all([
        this.client.listSwarms(),
        this.client.allAgents(),
        this.client.getBudgets(),
        this.client.listApprovals({ status: "pending" }),
      ]);
      this.store.replaceAll(
        { swarms: swarms.swarms, agents, budgets, approvals: approvals.approvals },
        newer,
      );
    } finally {
      if (this.duringRefresh === newer) this.duringRefresh = null;
    }
  }

  /** Kills an agent; a refusal (already finished, no permission) becomes the notice line. */
  async kill(agentId: string): Promise<void> {
    try {
      const agent = await this.client.killAgent(agentId);
      this.store.setNotice(`killed ${agent.name}`);
    } catch (error) {
      this.store.setNotice(`kill failed: ${(error as Error).message}`);
    }
  }

  /**
   * Answers an approval request (approving a merge one names the side to keep); a refusal (already
   * answered, no permission) becomes the notice line, and so does how an approved merge ended.
   */
  async answer(approvalId: string, verb: "approve" | "deny", choice?: string): Promise<void> {
    try {
      const approval = await this.client.answerApproval(approvalId, verb, undefined, choice);
      this.store.dropApproval(approval.id);
      this.store.setNotice(
        approval.merge ? mergeNotice(approval.merge) : `${approval.status}: ${approval.title}`,
      );
    } catch (error) {
      this.store.setNotice(`${verb} failed: ${(error as Error).message}`);
    }
  }

  private receive(event: DashEvent): void {
    this.duringRefresh?.push(event);
    this.store.addEvent(event);
    if (BUDGET_EVENTS.test(event.type)) this.budgetsSoon();
  }

  private budgetsSoon(): void {
    if (this.budgetTimer || this.stopped) return;
    this.budgetTimer = setTimeout(() => {
      this.budgetTimer = null;
      this.client
        .getBudgets()
        .then((budgets) => this.store.setBudgets(budgets))
        .catch(() => {});
    }, this.options.budgetEveryMs ?? 500);
  }
}
