import type { Database, SQLQueryBindings } from "bun:sqlite";
import type { AgentRecord } from "../domain/agent.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import { notFound } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import { migrateUp } from "./migrate.ts";
import { immediate, insertEvents, insertRow, openDatabase, updateRow } from "./sqlite-db.ts";
import { SqliteReader } from "./sqlite-reader.ts";
import {
  AGENT_COLUMNS,
  agentFromRow,
  agentToRow,
  BUDGET_COLUMNS,
  budgetFromRow,
  budgetToRow,
  type Row,
  SWARM_COLUMNS,
  swarmToRow,
} from "./sqlite-rows.ts";
import type {
  AgentPatch,
  BudgetPatch,
  Change,
  NewAgent,
  NewBudget,
  NewSwarm,
  ScaleChange,
  Store,
  SwarmPatch,
  UsageDelta,
  UsageResult,
  WriteResult,
} from "./store.ts";

/** The SQLite store. Every method body is synchronous; async is the Store contract (see store.ts). */
export class SqliteStore extends SqliteReader implements Store {
  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    super(db);
  }

  /** Opens (creating if needed) and migrates a database file. */
  static open(path: string, options: { now?: () => number } = {}): SqliteStore {
    const db = openDatabase(path);
    migrateUp(db);
    return new SqliteStore(db, options.now);
  }

  close(): void {
    this.db.close();
  }

  async insertSwarm(swarm: NewSwarm, budget: NewBudget, agents: NewAgent[], events: NewEvent[]) {
    return immediate(this.db, () => {
      const now = this.now();
      insertRow(this.db, "swarms", swarmToRow(swarm));
      insertRow(this.db, "budgets", budgetToRow(budget));
      for (const agent of agents) insertRow(this.db, "agents", agentToRow(agent));
      const committed = insertEvents(this.db, events, now);
      return { record: this.swarm(swarm.id) as SwarmRecord, events: committed };
    });
  }

  async insertAgent(agent: NewAgent, decide: (swarm: SwarmRecord) => NewEvent[]) {
    return immediate(this.db, () => {
      const swarm = this.swarm(agent.swarmId);
      if (!swarm) throw notFound("swarm", agent.swarmId);
      const events = decide(swarm);
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

  async scaleSwarm(
    id: string,
    decide: (swarm: SwarmRecord, unfinished: AgentRecord[], budget: BudgetRecord | null) => ScaleChange,
  ) {
    return immediate(this.db, () => {
      const swarm = this.swarm(id);
      if (!swarm) throw notFound("swarm", id);
      const unfinished = this.db
        .query<Row, [string]>(
          "SELECT * FROM agents WHERE swarm_id = ? AND status NOT IN ('completed', 'failed', 'killed') ORDER BY id",
        )
        .all(id)
        .map(agentFromRow);
      const { patch, added, stopped, events } = decide(swarm, unfinished, this.budget("swarm", id));
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
  ): WriteResult<R> {
    return immediate(this.db, () => {
      const current = read();
      if (!current) throw missing();
      const { patch, events } = decide(current);
      const now = this.now();
      updateRow(this.db, table, columns, current, patch, now);
      const committed = insertEvents(this.db, events, now);
      return { record: read() as R, events: committed };
    });
  }

  async addUsage(
    id: string,
    usage: UsageDelta,
    decide: (agent: AgentRecord) => NewEvent[],
    logOffset?: number,
  ): Promise<UsageResult> {
    return immediate(this.db, () => {
      const now = this.now();
      const row = this.db
        .query<Row, SQLQueryBindings[]>(
          `UPDATE agents SET cost_prompt_tokens = cost_prompt_tokens + ?, cost_completion_tokens = cost_completion_tokens + ?,
             cost_micros = cost_micros + ?, log_offset = coalesce(?, log_offset), updated_at = ?,
             version = version + 1 WHERE id = ? RETURNING *`,
        )
        .get(usage.promptTokens, usage.completionTokens, usage.costMicros, logOffset ?? null, now, id);
      if (!row) throw notFound("agent", id);
      const agent = agentFromRow(row);
      // Every budget above the agent gets `spent = spent + delta` (never read-modify-write):
      // the agent's own, its swarm's, and each parent up the chain (project…).
      const budgets = this.db
        .query<Row, SQLQueryBindings[]>(
          `WITH RECURSIVE chain(id) AS (
             SELECT id FROM budgets WHERE (entity_type = 'agent' AND entity_id = ?) OR (entity_type = 'swarm' AND entity_id = ?)
             UNION SELECT b.parent_budget_id FROM budgets b JOIN chain ON b.id = chain.id WHERE b.parent_budget_id IS NOT NULL)
           UPDATE budgets SET amount_spent = amount_spent + CASE currency WHEN 'tokens' THEN ? ELSE ? END,
             updated_at = ?, version = version + 1
           WHERE id IN (SELECT id FROM chain) RETURNING *`,
        )
        .all(agent.id, agent.swarmId, usage.promptTokens + usage.completionTokens, usage.costMicros, now)
        .map(budgetFromRow);
      const committed = insertEvents(this.db, decide(agent), now);
      return { record: agent, budgets, events: committed };
    });
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
