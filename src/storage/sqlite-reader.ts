import type { Database, SQLQueryBindings } from "bun:sqlite";
import type { AgentRecord } from "../domain/agent.ts";
import type { ApiKeyRecord } from "../domain/api-key.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import { KeyCache } from "./key-cache.ts";
import { apiKeyFromRow, apiKeyToRow, budgetFromRow } from "./sqlite-budget-rows.ts";
import { insertRow } from "./sqlite-db.ts";
import { agentFromRow, eventFromRow, type Row, swarmFromRow } from "./sqlite-rows.ts";
import type { AgentQuery, AgentVersion, BudgetQuery, EventQuery } from "./store.ts";

const SWARM_SELECT = `SELECT s.*, (SELECT COUNT(*) FROM agents a WHERE a.swarm_id = s.id) AS agent_count FROM swarms s`;

/** Every store connection open in this process: a write through one moves every store's mark. */
const connections = new Set<Database>();

/** The read side of the SQLite store, and API keys (plain rows, no events). */
export class SqliteReader {
  /** Keys by hash for a second (key-cache.ts): the lookup every authenticated request makes. */
  private readonly keyCache = new KeyCache();

  /** data_version as read in this turn of the event loop (see changeMark). */
  private versionThisTurn: number | undefined;

  constructor(readonly db: Database) {
    connections.add(db);
  }

  /** Called by close: this connection's writes no longer count. */
  protected forget(): void {
    connections.delete(this.db);
  }

  protected swarm(id: string): SwarmRecord | null {
    const row = this.db.query<Row, [string]>(`${SWARM_SELECT} WHERE s.id = ?`).get(id);
    return row ? swarmFromRow(row) : null;
  }

  protected agent(id: string): AgentRecord | null {
    const row = this.db.query<Row, [string]>("SELECT * FROM agents WHERE id = ?").get(id);
    return row ? agentFromRow(row) : null;
  }

  protected budget(entityType: BudgetEntity, entityId: string): BudgetRecord | null {
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
    return this.selectAgents("*", query).map(agentFromRow);
  }

  async listAgentVersions(query: AgentQuery = {}) {
    return this.selectAgents("id, version", query) as unknown as AgentVersion[];
  }

  /**
   * Rows changed by this process's connections (total_changes(), counted in memory) and commits
   * of other processes (data_version). data_version asks the file (two fcntl locks and an fstat:
   * 43 % of a cached list request's CPU under load here), so it is read once per turn of the event
   * loop: a commit by another process during a turn is concurrent with every request answered in
   * it (each was read from its socket before the turn began), so each may be ordered before it.
   */
  changeMark(): string {
    let local = 0;
    for (const db of connections) {
      local += db.query<{ c: number }, []>("SELECT total_changes() AS c").get()?.c ?? 0;
    }
    if (this.versionThisTurn === undefined) {
      this.versionThisTurn =
        this.db.query<{ data_version: number }, []>("PRAGMA data_version").get()?.data_version ?? 0;
      setImmediate(() => {
        this.versionThisTurn = undefined;
      });
    }
    return `${local}:${this.versionThisTurn}`;
  }

  async getAgents(ids: readonly string[]) {
    if (ids.length === 0) return [];
    // One statement whatever the number of ids (json_each), not one per length of the list.
    return this.db
      .query<Row, [string]>("SELECT * FROM agents WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id")
      .all(JSON.stringify(ids))
      .map(agentFromRow);
  }

  private selectAgents(columns: string, query: AgentQuery): Row[] {
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
    if (query.held) where.push("held_by IS NOT NULL");
    const sql = `SELECT ${columns} FROM agents${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`;
    return this.db.query<Row, SQLQueryBindings[]>(sql).all(...args, query.limit ?? -1);
  }

  async getBudget(entityType: BudgetEntity, entityId: string) {
    return this.budget(entityType, entityId);
  }

  async listBudgets(query: BudgetQuery = {}) {
    return this.db
      .query<Row, [string | null, string | null, number]>(
        `SELECT * FROM budgets WHERE (?1 IS NULL OR entity_type = ?1) AND (?2 IS NULL OR entity_id = ?2)
         AND (?3 = 0 OR amount_spent > 0) ORDER BY id`,
      )
      .all(query.entityType ?? null, query.entityId ?? null, query.spent ? 1 : 0)
      .map(budgetFromRow);
  }

  async listEvents(query: EventQuery = {}) {
    return this.readEvents(query);
  }

  /** The newest committed event id, or null on an empty table. */
  async lastEventId(): Promise<string | null> {
    return (
      this.db.query<{ id: string }, []>("SELECT id FROM events ORDER BY id DESC LIMIT 1").get()?.id ?? null
    );
  }

  /** The events of a query, read synchronously (listEvents is its async face). */
  readEvents(query: EventQuery = {}) {
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

  async insertApiKey(key: ApiKeyRecord) {
    insertRow(this.db, "api_keys", apiKeyToRow(key));
  }

  async findApiKeyByHash(keyHash: string) {
    return this.keyCache.find(keyHash, async () => {
      const row = this.db.query<Row, [string]>("SELECT * FROM api_keys WHERE key_hash = ?").get(keyHash);
      return row ? apiKeyFromRow(row) : null;
    });
  }

  async listApiKeys() {
    return this.db.query<Row, []>("SELECT * FROM api_keys ORDER BY id").all().map(apiKeyFromRow);
  }

  async updateApiKey(id: string, patch: { isActive?: boolean; lastUsedAt?: number }) {
    this.keyCache.forget(id);
    const row = this.db
      .query<Row, SQLQueryBindings[]>(
        `UPDATE api_keys SET is_active = COALESCE(?, is_active), last_used_at = COALESCE(?, last_used_at)
         WHERE id = ? RETURNING *`,
      )
      .get(patch.isActive === undefined ? null : patch.isActive ? 1 : 0, patch.lastUsedAt ?? null, id);
    return row ? apiKeyFromRow(row) : null;
  }
}
