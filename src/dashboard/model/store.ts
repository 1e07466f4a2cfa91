import type { z } from "zod";
import type { AgentResponse } from "../../domain/agent.ts";
import type { ApprovalResponse } from "../../domain/approval.ts";
import type { DashEvent } from "../../domain/event.ts";
import type { SwarmResponse } from "../../domain/swarm.ts";
import type { BudgetListSchema } from "../../domain/wire.ts";
import { applyEvent, type Entities } from "./apply-event.ts";
import { EventLog } from "./event-log.ts";
import { SpendHistory } from "./spend-history.ts";

export type BudgetList = z.infer<typeof BudgetListSchema>;
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** What the components read: a new object after each batch, the same one in between. */
export interface DashboardView {
  agents: readonly AgentResponse[];
  agentsById: ReadonlyMap<string, AgentResponse>;
  swarms: readonly SwarmResponse[];
  swarmsById: ReadonlyMap<string, SwarmResponse>;
  budgets: BudgetList | null;
  /** The approval requests waiting for an answer, the soonest to expire first. */
  approvals: readonly ApprovalResponse[];
  events: readonly DashEvent[];
  /** Spend per 10 s over the last 5 minutes, oldest first. */
  spend: readonly number[];
  connection: ConnectionState;
  /** When the last change arrived (epoch ms), for the status bar. */
  lastUpdate: number | null;
  /** The last thing to tell the operator (a failed kill, a lost connection), or null. */
  notice: string | null;
  /** Events applied since launch. */
  applied: number;
}

export interface Snapshot {
  agents: AgentResponse[];
  swarms: SwarmResponse[];
  budgets: BudgetList | null;
  /** The pending approvals; absent (not fetched), the ones known are kept. */
  approvals?: ApprovalResponse[];
}

/**
 * The dashboard's state. Events are applied as they arrive (cheap), but listeners hear of them at
 * most once per `batchMs` (50 ms): whatever the event rate, React renders at most 20 times a
 * second, and the first change after a quiet spell is drawn at once.
 */
export class DashboardStore {
  private entities: Entities = { agents: new Map(), swarms: new Map(), approvals: new Map() };
  private readonly log = new EventLog(1000);
  private readonly history = new SpendHistory();
  private budgets: BudgetList | null = null;
  private connection: ConnectionState = "connecting";
  private notice: string | null = null;
  private lastUpdate: number | null = null;
  private applied = 0;
  private view: DashboardView;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = Number.NEGATIVE_INFINITY;
  /** How many times listeners were told (renders), for tests and benchmarks. */
  flushes = 0;

  constructor(
    private readonly batchMs = 50,
    private readonly now: () => number = Date.now,
  ) {
    this.view = this.build();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): DashboardView => this.view;

  /** Replaces agents, swarms, budgets and approvals with a REST snapshot, then re-applies `newer` on top. */
  replaceAll(snapshot: Snapshot, newer: readonly DashEvent[] = []): void {
    this.entities = {
      agents: new Map(snapshot.agents.map((a) => [a.id, a])),
      swarms: new Map(snapshot.swarms.map((s) => [s.id, s])),
      approvals: new Map(snapshot.approvals?.map((a) => [a.id, a]) ?? this.entities.approvals),
    };
    if (snapshot.budgets) this.budgets = snapshot.budgets;
    for (const event of newer) applyEvent(this.entities, event);
    this.changed();
  }

  addEvent(event: DashEvent): void {
    applyEvent(this.entities, event);
    this.log.push(event);
    if (event.type === "agent.usage") {
      const cost = (event.data as { cost?: unknown }).cost;
      if (typeof cost === "number") this.history.add(Date.parse(event.timestamp), cost);
    }
    this.applied++;
    this.changed();
  }

  /** Forgets an approval once answered here (its approval.resolved event would, a moment later). */
  dropApproval(id: string): void {
    if (this.entities.approvals.delete(id)) this.changed();
  }

  setBudgets(budgets: BudgetList): void {
    this.budgets = budgets;
    this.changed();
  }

  setConnection(connection: ConnectionState): void {
    if (connection === this.connection) return;
    this.connection = connection;
    this.changed();
  }

  /** Shows a short message in the status bar for `forMs` (5 s). */
  setNotice(notice: string | null, forMs = 5000): void {
    this.notice = notice;
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = notice === null ? null : setTimeout(() => this.setNotice(null), forMs);
    this.changed();
  }

  /** Events received but not yet drawn: bounded by one batch window when the dashboard keeps up. */
  get pending(): number {
    return this.applied - this.view.applied;
  }

  /** Publishes now (also what the batch timer calls). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastFlush = this.now();
    this.view = this.build();
    this.flushes++;
    for (const listener of this.listeners) listener();
  }

  /** Stops the batch timer (when the dashboard quits). */
  close(): void {
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private changed(): void {
    this.lastUpdate = this.now();
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.batchMs - this.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private build(): DashboardView {
    return {
      agents: [...this.entities.agents.values()],
      agentsById: new Map(this.entities.agents),
      swarms: [...this.entities.swarms.values()],
      swarmsById: new Map(this.entities.swarms),
      budgets: this.budgets,
      approvals: [...this.entities.approvals.values()].sort((a, b) => a.expiresAt.localeCompare(b.expiresAt)),
      events: this.log.toArray(),
      spend: this.history.series(this.now()),
      connection: this.connection,
      lastUpdate: this.lastUpdate,
      notice: this.notice,
      applied: this.applied,
    };
  }
}
