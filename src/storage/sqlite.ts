import type { Database, SQLQueryBindings } from "bun:sqlite";
import type { AgentRecord } from "../domain/agent.ts";
import type { ApiKeyRecord } from "../domain/api-key.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import { notFound } from "../domain/errors.ts";
import type { EventRecord, NewEvent } from "../domain/event.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import { migrateUp } from "./migrate.ts";
import { immediate, insertEvents, openDatabase, updateRow } from "./sqlite-db.ts";
import {
  AGENT_COLUMNS,
  agentFromRow,
  apiKeyFromRow,
  BUDGET_COLUMNS,
  budgetFromRow,
  eventFromRow,
  SWARM_COLUMNS,
  swarmFromRow,
  toJson,
} from "./sqlite-rows.ts";
import type {
  AgentPatch,
  AgentQuery,
  BudgetPatch,
  Change,
  EventQuery,
  NewAgent,
  NewBudget,
  NewSwarm,
  Store,
  SwarmPatch,
  UsageDelta,
  UsageResult,
  WriteResult,
} from "./store.ts";

type Row = Record<string, string | number | null>;

const SWARM_SELECT = `SELECT s.*, (SELECT COUNT(*) FROM agents a WHERE a.swarm_id = s.id) AS agent_count FROM swarms s`;

/** The SQLite store. Every method body is synchronous; async is the Store contract (see store.ts). */
export class SqliteStore implements Store {
  constructor(
    readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens (creating if needed) and migrates a database file. */
  static open(path: string, options: { now?: () => number; migrate?: boolean } = {}): SqliteStore {
    const db = openDatabase(path);
    if (options.migrate !== false) migrateUp(db);
    return new SqliteStore(db, options.now);
  }

  close(): void {
    this.db.close();
  }

  private swarm(id: string): SwarmRecord | null {
    const row = this.db.query<Row, [string]>(`${SWARM_SELECT} WHERE s.id = ?`).get(id);
    return row ? swarmFromRow(row) : null;
  }

  private agent(id: string): AgentRecord | null {
    const row = this.db.query<Row, [string]>("SELECT * FROM agents WHERE id = ?").get(id);
    return row ? agentFromRow(row) : null;
  }

  private budget(entityType: BudgetEntity, entityId: string): BudgetRecord | null {
    const row = this.db
      .query<Row, [string, string]>("SELECT * FROM budgets WHERE entity_type = ? AND entity_id = ?")
      .get(entityType, entityId);
    return row ? budgetFromRow(row) : null;
  }

  async getSwarm(id: string) {
    return this.swarm(id);
  }

  async listSwarms(query: { status?: string } = {}) {
    const where = query.status ? " WHERE s.status = ?" : "";
    const args = query.status ? [query.status] : [];
    return this.db
      .query<Row, string[]>(`${SWARM_SELECT}${where} ORDER BY s.id`)
      .all(...args)
      .map(swarmFromRow);
  }

  async getAgent(id: string) {
    return this.agent(id);
  }

  async listAgents(query: AgentQuery = {}) {
    const where: string[] = [];
    const args: SQLQueryBindings[] = [];
    for (const [column, value] of [
      ["swarm_id = ?", query.swarmId],
      ["status = ?", query.status],
      ["parent_id = ?", query.parentId],
      ["id > ?", query.afterId],
    ] as const) {
      if (value === undefined) continue;
      where.push(column);
      args.push(value);
    }
    const sql = `SELECT * FROM agents${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`;
    return this.db
      .query<Row, SQLQueryBindings[]>(sql)
      .all(...args, query.limit ?? -1)
      .map(agentFromRow);
  }

  async getBudget(entityType: BudgetEntity, entityId: string) {
    return this.budget(entityType, entityId);
  }

  async listEvents(query: EventQuery = {}) {
    const where: string[] = [];
    const args: SQLQueryBindings[] = [];
    if (query.afterId !== undefined) where.push("id > ?") && args.push(query.afterId);
    if (query.since !== undefined) where.push("timestamp >= ?") && args.push(query.since);
    if (query.types?.length) {
      where.push(`type IN (${query.types.map(() => "?").join(", ")})`);
      args.push(...query.types);
    }
    const sql = `SELECT * FROM events${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`;
    return this.db
      .query<Row, SQLQueryBindings[]>(sql)
      .all(...args, query.limit ?? -1)
      .map(eventFromRow);
  }

  async insertSwarm(swarm: NewSwarm, budget: NewBudget, agents: NewAgent[], events: NewEvent[]) {
    return immediate(this.db, () => {
      const now = this.now();
      this.db
        .query(
          `INSERT INTO swarms (id, name, status, task, strategy, config, target_agent_count, result, created_at, updated_at, completed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          swarm.id,
          swarm.name,
          swarm.status,
          swarm.task,
          swarm.strategy,
          JSON.stringify(swarm.config),
          swarm.targetAgentCount,
          toJson(swarm.result),
          swarm.createdAt,
          swarm.updatedAt,
          swarm.completedAt,
        );
      this.insertBudgetRow(budget);
      for (const agent of agents) this.insertAgentRow(agent);
      const committed = insertEvents(this.db, events, now);
      return { record: this.swarm(swarm.id) as SwarmRecord, events: committed };
    });
  }

  async insertAgent(agent: NewAgent, decide: (swarm: SwarmRecord) => NewEvent[]) {
    return immediate(this.db, () => {
      const swarm = this.swarm(agent.swarmId);
      if (!swarm) throw notFound("swarm", agent.swarmId);
      const events = decide(swarm);
      this.insertAgentRow(agent);
      const committed = insertEvents(this.db, events, this.now());
      return { record: this.agent(agent.id) as AgentRecord, events: committed };
    });
  }

  async updateAgent(id: string, decide: (agent: AgentRecord) => Change<AgentPatch>) {
    return this.update(id, "agents", AGENT_COLUMNS, (i) => this.agent(i), decide, "agent");
  }

  async updateSwarm(id: string, decide: (swarm: SwarmRecord) => Change<SwarmPatch>) {
    return this.update(id, "swarms", SWARM_COLUMNS, (i) => this.swarm(i), decide, "swarm");
  }

  async updateBudget(
    entityType: BudgetEntity,
    entityId: string,
    decide: (b: BudgetRecord) => Change<BudgetPatch>,
  ) {
    const budget = this.budget(entityType, entityId);
    if (!budget) throw notFound(`${entityType} budget`, entityId);
    return this.update(
      budget.id,
      "budgets",
      BUDGET_COLUMNS,
      () => this.budget(entityType, entityId),
      decide,
      "budget",
    );
  }

  private update<R extends { id: string; version: number }, P extends object>(
    id: string,
    table: string,
    columns: Record<string, [string, ((v: unknown) => unknown)?]>,
    read: (id: string) => R | null,
    decide: (current: R) => Change<P>,
    entity: string,
  ): WriteResult<R> {
    return immediate(this.db, () => {
      const current = read(id);
      if (!current) throw notFound(entity, id);
      const { patch, events } = decide(current);
      const now = this.now();
      updateRow(this.db, table, columns, current, patch, now);
      const committed = insertEvents(this.db, events, now);
      return { record: read(id) as R, events: committed };
    });
  }

  async addUsage(
    id: string,
    usage: UsageDelta,
    decide: (agent: AgentRecord) => NewEvent[],
  ): Promise<UsageResult> {
    return immediate(this.db, () => {
      const now = this.now();
      const row = this.db
        .query<Row, SQLQueryBindings[]>(
          `UPDATE agents SET cost_prompt_tokens = cost_prompt_tokens + ?, cost_completion_tokens = cost_completion_tokens + ?,
             cost_micros = cost_micros + ?, updated_at = ?, version = version + 1 WHERE id = ? RETURNING *`,
        )
        .get(usage.promptTokens, usage.completionTokens, usage.costMicros, now, id);
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

  async insertApiKey(key: ApiKeyRecord) {
    this.db
      .query(
        `INSERT INTO api_keys (id, name, key_hash, permissions, created_at, last_used_at, expires_at, is_active)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        key.id,
        key.name,
        key.keyHash,
        JSON.stringify(key.permissions),
        key.createdAt,
        key.lastUsedAt,
        key.expiresAt,
        key.isActive ? 1 : 0,
      );
  }

  async findApiKeyByHash(keyHash: string) {
    const row = this.db.query<Row, [string]>("SELECT * FROM api_keys WHERE key_hash = ?").get(keyHash);
    return row ? apiKeyFromRow(row) : null;
  }

  async listApiKeys() {
    return this.db.query<Row, []>("SELECT * FROM api_keys ORDER BY id").all().map(apiKeyFromRow);
  }

  async updateApiKey(id: string, patch: { isActive?: boolean; lastUsedAt?: number }) {
    const row = this.db
      .query<Row, SQLQueryBindings[]>(
        `UPDATE api_keys SET is_active = COALESCE(?, is_active), last_used_at = COALESCE(?, last_used_at)
         WHERE id = ? RETURNING *`,
      )
      .get(patch.isActive === undefined ? null : patch.isActive ? 1 : 0, patch.lastUsedAt ?? null, id);
    return row ? apiKeyFromRow(row) : null;
  }

  private insertAgentRow(a: NewAgent): void {
    this.db
      .query(
        `INSERT INTO agents (id, name, status, swarm_id, parent_id, task, model, progress_current, progress_total,
           cost_prompt_tokens, cost_completion_tokens, cost_micros, session_id, metadata, result, error,
           created_at, updated_at, started_at, completed_at, retry_count, max_retries)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        a.id,
        a.name,
        a.status,
        a.swarmId,
        a.parentId,
        a.task,
        a.model,
        a.progressCurrent,
        a.progressTotal,
        a.promptTokens,
        a.completionTokens,
        a.costMicros,
        a.sessionId,
        JSON.stringify(a.metadata),
        toJson(a.result),
        toJson(a.error),
        a.createdAt,
        a.updatedAt,
        a.startedAt,
        a.completedAt,
        a.retryCount,
        a.maxRetries,
      );
  }

  private insertBudgetRow(b: NewBudget): void {
    this.db
      .query(
        `INSERT INTO budgets (id, entity_type, entity_id, parent_budget_id, amount_allocated, currency,
           warning_threshold, critical_threshold, hard_stop_threshold, warning_action, critical_action,
           hard_stop_action, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        b.id,
        b.entityType,
        b.entityId,
        b.parentBudgetId,
        b.allocatedUnits,
        b.currency,
        b.warningThreshold,
        b.criticalThreshold,
        b.hardStopThreshold,
        b.warningAction,
        b.criticalAction,
        b.hardStopAction,
        b.createdAt,
        b.updatedAt,
      );
  }
}

export type { EventRecord };
