import type { Database } from "bun:sqlite";
import type { AgentRecord } from "../domain/agent.ts";
import type { ApprovalRuleRecord } from "../domain/approval-rule.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import { notFound } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import type { ChainBudget } from "../safety/budget.ts";
import type { CallStore } from "./call-store.ts";
import { migrateUp } from "./migrate.ts";
import { plannedSwarm } from "./new-swarm.ts";
import { deleteRule, insertRule, listRules } from "./sqlite-approval-rules.ts";
import { getApproval, insertApprovalTx, listApprovals, updateApprovalTx } from "./sqlite-approvals.ts";
import { BUDGET_COLUMNS, budgetToRow } from "./sqlite-budget-rows.ts";
import { budgetChain, family, reservedIn } from "./sqlite-budgets.ts";
import {
  admitCallTx,
  getCallRow,
  listCallRows,
  loseOpenCallsTx,
  modelSpendRows,
  settleCallTx,
} from "./sqlite-calls.ts";
import { BackgroundCheckpoints } from "./sqlite-checkpointer.ts";
import {
  immediate,
  insertEvents,
  insertRow,
  insertRows,
  openDatabase,
  retryBusy,
  updateRow,
} from "./sqlite-db.ts";
import { GroupCommit } from "./sqlite-group-commit.ts";
import { metricsSnapshot } from "./sqlite-metrics.ts";
import { heartbeatNodeRow, nodeRows } from "./sqlite-nodes.ts";
import { SqliteNotifications } from "./sqlite-notifications.ts";
import { SqliteReader } from "./sqlite-reader.ts";
import {
  AGENT_COLUMNS,
  agentFromRow,
  agentToRow,
  type Row,
  SWARM_COLUMNS,
  swarmToRow,
} from "./sqlite-rows.ts";
import type {
  AgentPatch,
  ApprovalQuery,
  BudgetPatch,
  Change,
  Family,
  MeterChange,
  NewAgent,
  NewApproval,
  NewBudget,
  NewSwarm,
  NodeRecord,
  Store,
  SwarmChange,
  SwarmPatch,
  WriteResult,
} from "./store.ts";

/** The SQLite store. Every method body is synchronous; async is the Store contract (see store.ts). */
export class SqliteStore extends SqliteReader implements Store {
  readonly notifications = new SqliteNotifications(this.db);
  /** The write path's transactions (those that write events) share COMMITs: sqlite-group-commit.ts. */
  private readonly writes = new GroupCommit(this.db);
  /** The server's store checkpoints in a worker thread (sqlite-checkpointer.ts); others on commit. */
  checkpointer: BackgroundCheckpoints | undefined;

  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    super(db);
  }

  /**
   * Opens (creating if needed) and migrates a database file. `backgroundCheckpoints`: a long-lived
   * writer (the server) checkpoints in a worker thread; its function is told when that fails.
   */
  static open(
    path: string,
    options: { now?: () => number; backgroundCheckpoints?: (warning: string) => void } = {},
  ): SqliteStore {
    const db = openDatabase(path);
    migrateUp(db);
    const store = new SqliteStore(db, options.now);
    if (options.backgroundCheckpoints && path !== ":memory:")
      store.checkpointer = new BackgroundCheckpoints(db, path, options.backgroundCheckpoints);
    return store;
  }

  async reservedUnits(budget: BudgetRecord) {
    return reservedIn(this.db, budget);
  }

  /** Commits what is queued and closes; the checkpoint worker, if any, closes its connection last. */
  close(): Promise<void> {
    const stopped = this.checkpointer?.stop() ?? Promise.resolve();
    this.writes.drain();
    this.forget();
    this.db.close();
    return stopped;
  }

  async ping() {
    retryBusy(() => this.db.query("SELECT 1").get());
  }

  async metricsSnapshot() {
    return metricsSnapshot(this.db);
  }

  async heartbeatNode(node: NodeRecord) {
    retryBusy(() => heartbeatNodeRow(this.db, node));
  }

  async listNodes() {
    return nodeRows(this.db);
  }

  async checkIntegrity() {
    try {
      const rows = retryBusy(() =>
        this.db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all(),
      );
      const problems = rows.map((row) => row.integrity_check);
      return problems.length === 1 && problems[0] === "ok" ? [] : problems;
    } catch (error) {
      // A page too damaged to walk makes SQLite refuse outright: that is a finding, not a crash.
      const code = String((error as { code?: unknown }).code ?? "");
      if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB"))
        return [(error as Error).message];
      throw error;
    }
  }

  async insertSwarm(
    swarm: NewSwarm,
    budget: NewBudget,
    agents: NewAgent[],
    events: NewEvent[],
    start?: (created: SwarmRecord) => Change<SwarmPatch>,
  ) {
    return this.writes.write(() => {
      const now = this.now();
      const planned = plannedSwarm(swarm, agents.length, now, start);
      insertRow(this.db, "swarms", { ...swarmToRow(planned.record), version: planned.record.version });
      insertRow(this.db, "budgets", budgetToRow(budget));
      insertRows(this.db, "agents", agents.map(agentToRow));
      const committed = insertEvents(this.db, [...events, ...planned.events], now);
      return { record: planned.record, events: committed };
    });
  }

  async insertAgent(agent: NewAgent, decide: (swarm: SwarmRecord, parent: Family | null) => NewEvent[]) {
    return this.writes.write(() => {
      const swarm = this.swarm(agent.swarmId);
      if (!swarm) throw notFound("swarm", agent.swarmId);
      const events = decide(swarm, agent.parentId ? family(this.db, agent.parentId) : null);
      insertRow(this.db, "agents", agentToRow(agent));
      const committed = insertEvents(this.db, events, this.now());
      return { record: this.agent(agent.id) as AgentRecord, events: committed };
    });
  }

  async updateAgent(id: string, decide: (agent: AgentRecord) => Change<AgentPatch>) {
    return this.update(
      "agents",
      AGENT_COLUMNS,
      () => this.agent(id),
      decide,
      () => notFound("agent", id),
    );
  }

  async updateSwarm(id: string, decide: (swarm: SwarmRecord) => Change<SwarmPatch>) {
    return this.update(
      "swarms",
      SWARM_COLUMNS,
      () => this.swarm(id),
      decide,
      () => notFound("swarm", id),
    );
  }

  async changeSwarm(
    id: string,
    decide: (swarm: SwarmRecord, agents: AgentRecord[], budget: BudgetRecord | null) => SwarmChange | null,
  ) {
    return this.writes.write(() => {
      const swarm = this.swarm(id);
      if (!swarm) throw notFound("swarm", id);
      const agents = this.db
        .query<Row, [string]>("SELECT * FROM agents WHERE swarm_id = ? ORDER BY id")
        .all(id)
        .map(agentFromRow);
      const change = decide(swarm, agents, this.budget("swarm", id));
      if (!change) return { record: swarm, events: [] };
      const { patch, added, stopped, events } = change;
      const now = this.now();
      updateRow(this.db, "swarms", SWARM_COLUMNS, swarm, patch, now);
      for (const agent of added) insertRow(this.db, "agents", agentToRow(agent));
      for (const { agent, change } of stopped) {
        updateRow(this.db, "agents", AGENT_COLUMNS, agent, change.patch, now);
      }
      const committed = insertEvents(this.db, events, now);
      return { record: this.swarm(id) as SwarmRecord, events: committed };
    });
  }

  async insertBudget(budget: NewBudget, events: NewEvent[]) {
    return this.writes.write(() => {
      insertRow(this.db, "budgets", budgetToRow(budget));
      const committed = insertEvents(this.db, events, this.now());
      return { record: this.budget(budget.entityType, budget.entityId) as BudgetRecord, events: committed };
    });
  }

  async updateBudget(
    entityType: BudgetEntity,
    entityId: string,
    decide: (b: BudgetRecord) => Change<BudgetPatch>,
  ) {
    const read = () => this.budget(entityType, entityId);
    return this.update("budgets", BUDGET_COLUMNS, read, decide, () =>
      notFound(`${entityType} budget`, entityId),
    );
  }

  /** Read the row, let `decide` refuse or say what changes, write it and its events: one transaction. */
  private update<R extends { id: string; version: number }, P extends object>(
    table: string,
    columns: Record<string, [string, ((v: unknown) => unknown)?]>,
    read: () => R | null,
    decide: (current: R) => Change<P>,
    missing: () => Error,
  ): Promise<WriteResult<R>> {
    return this.writes.write(() => {
      const current = read();
      if (!current) throw missing();
      const { patch, events } = decide(current);
      const now = this.now();
      updateRow(this.db, table, columns, current, patch, now);
      const committed = insertEvents(this.db, events, now);
      return { record: read() as R, events: committed };
    });
  }

  async getApproval(id: string) {
    return getApproval(this.db, id);
  }

  async listApprovals(query: ApprovalQuery = {}) {
    return listApprovals(this.db, query);
  }

  async insertApproval(approval: NewApproval, decide: Parameters<Store["insertApproval"]>[1]) {
    return this.writes.write(() => insertApprovalTx(this.db, approval, decide, this.now()));
  }

  async updateApproval(id: string, decide: Parameters<Store["updateApproval"]>[1]) {
    return this.writes.write(() => updateApprovalTx(this.db, id, decide, this.now()));
  }

  async listApprovalRules() {
    return listRules(this.db);
  }

  async insertApprovalRule(rule: ApprovalRuleRecord) {
    return insertRule(this.db, rule);
  }

  async deleteApprovalRule(id: string) {
    return deleteRule(this.db, id);
  }

  async meterAgent(id: string, decide: (agent: AgentRecord, chain: ChainBudget[]) => MeterChange) {
    return this.writes.write(() => {
      const agent = this.agent(id);
      if (!agent) throw notFound("agent", id);
      const chain = budgetChain(this.db, agent);
      const change = decide(agent, chain);
      const now = this.now();
      updateRow(this.db, "agents", AGENT_COLUMNS, agent, change.agent, now);
      const budgets = change.budgets.map(({ budget, patch }) => {
        updateRow(this.db, "budgets", BUDGET_COLUMNS, budget, patch, now);
        return this.budget(budget.entityType, budget.entityId) as BudgetRecord;
      });
      const committed = insertEvents(this.db, change.events, now);
      return { record: this.agent(id) as AgentRecord, budgets, events: committed };
    });
  }

  async admitCall(...[call, decide]: Parameters<CallStore["admitCall"]>) {
    return this.writes.write(() => admitCallTx(this.db, call, decide, this.now()));
  }

  async settleCall(...[id, decide]: Parameters<CallStore["settleCall"]>) {
    return this.writes.write(() => settleCallTx(this.db, id, decide, this.now()));
  }

  async getCall(id: string) {
    return getCallRow(this.db, id);
  }

  async listCalls(query: Parameters<CallStore["listCalls"]>[0]) {
    return listCallRows(this.db, query);
  }

  async loseOpenCalls(now: number) {
    return immediate(this.db, () => loseOpenCallsTx(this.db, now));
  }

  async modelSpend(query: { swarmId?: string } = {}) {
    return modelSpendRows(this.db, query);
  }

  async pruneEvents({
    before,
    keepRows,
    batchSize,
  }: {
    before: number;
    keepRows: number;
    batchSize: number;
  }) {
    return immediate(this.db, () => {
      const cutoff = this.db
        .query<{ id: string }, [number]>("SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?")
        .get(Math.max(0, keepRows));
      const { changes } = this.db
        .query(
          `DELETE FROM events WHERE id IN (
             SELECT id FROM events WHERE timestamp < ? OR id <= ? ORDER BY id LIMIT ?)`,
        )
        .run(before, cutoff?.id ?? "", batchSize);
      return changes;
    });
  }
}
