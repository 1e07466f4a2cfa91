import { SQL } from "bun";
import type { AgentRecord } from "../domain/agent.ts";
import type { ApprovalRuleRecord } from "../domain/approval-rule.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import { notFound } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import type { ChainBudget } from "../safety/budget.ts";
import type { CallStore } from "./call-store.ts";
import { plannedSwarm } from "./new-swarm.ts";
import { deleteRule, insertRule, listRules } from "./postgres-approval-rules.ts";
import { getApproval, insertApprovalTx, listApprovals, updateApprovalTx } from "./postgres-approvals.ts";
import { family, lockBudgetChain, reservedIn } from "./postgres-budgets.ts";
import {
  admitCallTx,
  getCallRow,
  listCallRows,
  loseOpenCallsTx,
  modelSpendRows,
  settleCallTx,
} from "./postgres-calls.ts";
import {
  EVENTS_CHANNEL,
  insertEvents,
  insertRow,
  insertRows,
  type Pg,
  row,
  rows,
  run,
  transaction,
  updateRow,
} from "./postgres-db.ts";
import { metricsSnapshot } from "./postgres-metrics.ts";
import { migratePostgres, postgresMigrationStates } from "./postgres-migrate.ts";
import { heartbeatNodeRow, nodeRows } from "./postgres-nodes.ts";
import { PostgresNotifications } from "./postgres-notifications.ts";
import { agentById, budgetOf, lockSwarm, PostgresReader, swarmById } from "./postgres-reader.ts";
import { BUDGET_COLUMNS, budgetFromRow, budgetToRow } from "./sqlite-budget-rows.ts";
import { AGENT_COLUMNS, agentFromRow, agentToRow, SWARM_COLUMNS, swarmToRow } from "./sqlite-rows.ts";
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

export interface PostgresOptions {
  now?: () => number;
  /** Connections in this process's pool (default 10). */
  max?: number;
}

/** Connects (BIGINT as BigInt, turned into numbers by postgres-db.ts) and migrates. */
async function connect(url: string, options: PostgresOptions): Promise<SQL> {
  const sql = new SQL(url, { bigint: true, max: options.max ?? 10, idleTimeout: 30 });
  try {
    await migratePostgres(sql);
    return sql;
  } catch (error) {
    await sql.close({ timeout: 0 });
    throw error;
  }
}

/**
 * The PostgreSQL store: the SqliteStore's semantics, for one database that several `dash serve`
 * nodes share. Every write is one transaction that locks the rows `decide` reads (FOR NO KEY
 * UPDATE, in one order: call or approval, swarm, agents by id, budgets by id), writes them with
 * the version guard and inserts its events last, under the events lock (postgres-db.ts).
 */
export class PostgresStore extends PostgresReader implements Store {
  readonly notifications = new PostgresNotifications(this.ready);

  private constructor(
    ready: Promise<SQL>,
    private readonly now: () => number,
  ) {
    super(ready);
    // A lazy store that is never used must not report its failed start as unhandled.
    ready.catch(() => {});
  }

  /** Connects to `url`, applies pending migrations (refusing a changed one) and returns the store. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
    const sql = await connect(url, options);
    return new PostgresStore(Promise.resolve(sql), options.now ?? Date.now);
  }

  /**
   * A store usable at once: every method first waits for `url` to resolve, the connection and the
   * migrations (a failure there rejects each call). For callers that cannot await their setup.
   */
  static lazy(url: Promise<string> | string, options: PostgresOptions = {}): PostgresStore {
    const ready = Promise.resolve(url).then((u) => connect(u, options));
    return new PostgresStore(ready, options.now ?? Date.now);
  }

  /** No query is taken from now on; resolves once the pool has ended (see `end`). */
  close(): Promise<void> {
    return this.end();
  }

  /** Ends the pool once its queries are done. */
  async end(): Promise<void> {
    const sql = await this.ready.catch(() => null);
    await sql?.close();
  }

  async onCommit(wake: () => void): Promise<() => Promise<void>> {
    const sql = await this.ready;
    const subscription = await sql.listen(EVENTS_CHANNEL, () => wake());
    return () => subscription.unlisten();
  }

  async ping(): Promise<void> {
    const sql = await this.ready;
    await sql`SELECT 1`;
  }

  async metricsSnapshot() {
    return metricsSnapshot(await this.ready);
  }

  async heartbeatNode(node: NodeRecord) {
    await heartbeatNodeRow(await this.ready, node);
  }

  async listNodes() {
    return nodeRows(await this.ready);
  }

  async checkIntegrity(): Promise<string[]> {
    try {
      const sql = await this.ready;
      await sql`SELECT 1`;
      return (await postgresMigrationStates(sql)).flatMap((m) => {
        if (!m.intact) return [`migration ${m.file} was changed after it was applied`];
        return m.appliedAt === null ? [`migration ${m.file} is not applied`] : [];
      });
    } catch (error) {
      return [(error as Error).message];
    }
  }

  async reservedUnits(budget: BudgetRecord) {
    return reservedIn(await this.ready, budget);
  }

  private async tx<T>(fn: (tx: Pg) => Promise<T>): Promise<T> {
    return transaction(await this.ready, fn);
  }

  async insertSwarm(
    swarm: NewSwarm,
    budget: NewBudget,
    agents: NewAgent[],
    events: NewEvent[],
    start?: (created: SwarmRecord) => Change<SwarmPatch>,
  ) {
    return this.tx(async (tx) => {
      const now = this.now();
      const planned = plannedSwarm(swarm, agents.length, now, start);
      await insertRow(tx, "swarms", { ...swarmToRow(planned.record), version: planned.record.version });
      await insertRow(tx, "budgets", budgetToRow(budget));
      await insertRows(tx, "agents", agents.map(agentToRow));
      const committed = await insertEvents(tx, [...events, ...planned.events], now);
      return { record: planned.record, events: committed };
    });
  }

  async insertAgent(agent: NewAgent, decide: (swarm: SwarmRecord, parent: Family | null) => NewEvent[]) {
    return this.tx(async (tx) => {
      // The swarm's lock serialises additions to it, so its caps (count, depth, children) hold.
      const swarm = await lockSwarm(tx, agent.swarmId);
      if (!swarm) throw notFound("swarm", agent.swarmId);
      const events = decide(swarm, agent.parentId ? await family(tx, agent.parentId) : null);
      await insertRow(tx, "agents", agentToRow(agent));
      const committed = await insertEvents(tx, events, this.now());
      return { record: (await agentById(tx, agent.id)) as AgentRecord, events: committed };
    });
  }

  async updateAgent(id: string, decide: (agent: AgentRecord) => Change<AgentPatch>) {
    return this.tx(async (tx) => {
      const agent = await agentById(tx, id, true);
      if (!agent) throw notFound("agent", id);
      const { patch, events } = decide(agent);
      const now = this.now();
      const record = agentFromRow(await updateRow(tx, "agents", AGENT_COLUMNS, agent, patch, now));
      return { record, events: await insertEvents(tx, events, now) };
    });
  }

  async updateSwarm(id: string, decide: (swarm: SwarmRecord) => Change<SwarmPatch>) {
    return this.tx(async (tx) => {
      const swarm = await lockSwarm(tx, id);
      if (!swarm) throw notFound("swarm", id);
      const { patch, events } = decide(swarm);
      const now = this.now();
      await updateRow(tx, "swarms", SWARM_COLUMNS, swarm, patch, now);
      const committed = await insertEvents(tx, events, now);
      return { record: (await swarmById(tx, id)) as SwarmRecord, events: committed };
    });
  }

  async changeSwarm(
    id: string,
    decide: (swarm: SwarmRecord, agents: AgentRecord[], budget: BudgetRecord | null) => SwarmChange | null,
  ) {
    return this.tx(async (tx) => {
      const swarm = await lockSwarm(tx, id);
      if (!swarm) throw notFound("swarm", id);
      // All its agents, locked in id order: concurrent scalings see each other's agents.
      const locked = await rows(
        tx,
        "SELECT * FROM agents WHERE swarm_id = $1 ORDER BY id FOR NO KEY UPDATE",
        [id],
      );
      const agents = locked.map(agentFromRow);
      const change = decide(swarm, agents, await budgetOf(tx, "swarm", id, true));
      if (!change) return { record: swarm, events: [] };
      const { patch, added, stopped, events } = change;
      const now = this.now();
      await updateRow(tx, "swarms", SWARM_COLUMNS, swarm, patch, now);
      await insertRows(tx, "agents", added.map(agentToRow));
      for (const { agent, change } of stopped) {
        await updateRow(tx, "agents", AGENT_COLUMNS, agent, change.patch, now);
      }
      const committed = await insertEvents(tx, events, now);
      return { record: (await swarmById(tx, id)) as SwarmRecord, events: committed };
    });
  }

  async insertBudget(budget: NewBudget, events: NewEvent[]) {
    return this.tx(async (tx) => {
      await insertRow(tx, "budgets", budgetToRow(budget));
      const committed = await insertEvents(tx, events, this.now());
      return {
        record: (await budgetOf(tx, budget.entityType, budget.entityId)) as BudgetRecord,
        events: committed,
      };
    });
  }

  async updateBudget(
    entityType: BudgetEntity,
    entityId: string,
    decide: (b: BudgetRecord) => Change<BudgetPatch>,
  ): Promise<WriteResult<BudgetRecord>> {
    return this.tx(async (tx) => {
      const budget = await budgetOf(tx, entityType, entityId, true);
      if (!budget) throw notFound(`${entityType} budget`, entityId);
      const { patch, events } = decide(budget);
      const now = this.now();
      const record = budgetFromRow(await updateRow(tx, "budgets", BUDGET_COLUMNS, budget, patch, now));
      return { record, events: await insertEvents(tx, events, now) };
    });
  }

  async meterAgent(id: string, decide: (agent: AgentRecord, chain: ChainBudget[]) => MeterChange) {
    return this.tx(async (tx) => {
      const agent = await agentById(tx, id, true);
      if (!agent) throw notFound("agent", id);
      const change = decide(agent, await lockBudgetChain(tx, agent));
      const now = this.now();
      const record = agentFromRow(await updateRow(tx, "agents", AGENT_COLUMNS, agent, change.agent, now));
      const budgets: BudgetRecord[] = [];
      for (const { budget, patch } of change.budgets) {
        budgets.push(budgetFromRow(await updateRow(tx, "budgets", BUDGET_COLUMNS, budget, patch, now)));
      }
      return { record, budgets, events: await insertEvents(tx, change.events, now) };
    });
  }

  async getApproval(id: string) {
    return getApproval(await this.ready, id);
  }

  async listApprovals(query: ApprovalQuery = {}) {
    return listApprovals(await this.ready, query);
  }

  async insertApproval(approval: NewApproval, decide: Parameters<Store["insertApproval"]>[1]) {
    return this.tx((tx) => insertApprovalTx(tx, approval, decide, this.now()));
  }

  async updateApproval(id: string, decide: Parameters<Store["updateApproval"]>[1]) {
    return this.tx((tx) => updateApprovalTx(tx, id, decide, this.now()));
  }

  async listApprovalRules() {
    return listRules(await this.ready);
  }

  async insertApprovalRule(rule: ApprovalRuleRecord) {
    return insertRule(await this.ready, rule);
  }

  async deleteApprovalRule(id: string) {
    return deleteRule(await this.ready, id);
  }

  async admitCall(...[call, decide]: Parameters<CallStore["admitCall"]>) {
    return this.tx((tx) => admitCallTx(tx, call, decide, this.now()));
  }

  async settleCall(...[id, decide]: Parameters<CallStore["settleCall"]>) {
    return this.tx((tx) => settleCallTx(tx, id, decide, this.now()));
  }

  async getCall(id: string) {
    return getCallRow(await this.ready, id);
  }

  async listCalls(query: Parameters<CallStore["listCalls"]>[0]) {
    return listCallRows(await this.ready, query);
  }

  async loseOpenCalls(now: number) {
    return this.tx((tx) => loseOpenCallsTx(tx, now));
  }

  async modelSpend(query: { swarmId?: string } = {}) {
    return modelSpendRows(await this.ready, query);
  }

  /** As SqliteStore's: the oldest first, by commit order, at most `batchSize` in one transaction. */
  async pruneEvents({
    before,
    keepRows,
    batchSize,
  }: {
    before: number;
    keepRows: number;
    batchSize: number;
  }) {
    return this.tx(async (tx) => {
      const cutoff = await row(tx, "SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET $1", [
        Math.max(0, keepRows),
      ]);
      return run(
        tx,
        `DELETE FROM events WHERE seq IN (
           SELECT seq FROM events WHERE timestamp < $1 OR seq <= $2 ORDER BY seq LIMIT $3)`,
        [before, Number(cutoff?.seq ?? 0), batchSize],
      );
    });
  }
}
