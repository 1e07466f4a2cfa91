import type { SQL } from "bun";
import type { AgentRecord } from "../domain/agent.ts";
import type { ApiKeyRecord } from "../domain/api-key.ts";
import type { BudgetEntity, BudgetRecord } from "../domain/budget.ts";
import type { EventRecord } from "../domain/event.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import { KeyCache } from "./key-cache.ts";
import { insertRow, type Pg, row, rows, transaction } from "./postgres-db.ts";
import { apiKeyFromRow, apiKeyToRow, budgetFromRow } from "./sqlite-budget-rows.ts";
import { agentFromRow, eventFromRow, swarmFromRow } from "./sqlite-rows.ts";
import type { AgentQuery, AgentVersion, BudgetQuery, EventQuery } from "./store.ts";

/** Reads by id that the writes also make inside their transactions (with `pg` the transaction). */
const SWARM_SELECT = `SELECT s.*, (SELECT COUNT(*) FROM agents a WHERE a.swarm_id = s.id) AS agent_count FROM swarms s`;

export async function swarmById(pg: Pg, id: string): Promise<SwarmRecord | null> {
  const found = await row(pg, `${SWARM_SELECT} WHERE s.id = $1`, [id]);
  return found ? swarmFromRow(found) : null;
}

/**
 * Locks the swarm row first, then reads it (and its agent count) in a new statement: a statement
 * that waited for a lock still sees its old snapshot in subqueries, so the count is read after.
 */
export async function lockSwarm(tx: Pg, id: string): Promise<SwarmRecord | null> {
  const locked = await row(tx, "SELECT id FROM swarms WHERE id = $1 FOR NO KEY UPDATE", [id]);
  return locked ? swarmById(tx, id) : null;
}

/**
 * The agent row; with `lock`, held until COMMIT (FOR NO KEY UPDATE: it blocks other writers of the
 * row but not the foreign-key checks of rows that point at it, such as a new model call).
 */
export async function agentById(pg: Pg, id: string, lock = false): Promise<AgentRecord | null> {
  const found = await row(pg, `SELECT * FROM agents WHERE id = $1${lock ? " FOR NO KEY UPDATE" : ""}`, [id]);
  return found ? agentFromRow(found) : null;
}

export async function budgetOf(
  pg: Pg,
  entityType: BudgetEntity,
  entityId: string,
  lock = false,
): Promise<BudgetRecord | null> {
  const found = await row(
    pg,
    `SELECT * FROM budgets WHERE entity_type = $1 AND entity_id = $2${lock ? " FOR NO KEY UPDATE" : ""}`,
    [entityType, entityId],
  );
  return found ? budgetFromRow(found) : null;
}

/** Numbered placeholders for a query built piece by piece: `add(value)` is its `$n`. */
export class Params {
  readonly values: (string | number | null)[] = [];

  add(value: string | number | null): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** `WHERE a AND b …` from the conditions whose value is given (`?` stands for its placeholder). */
  where(conditions: [string, string | number | undefined][], extra: string[] = []): string {
    const parts = conditions.flatMap(([condition, value]) =>
      value === undefined ? [] : [condition.replace("?", this.add(value))],
    );
    parts.push(...extra);
    return parts.length ? ` WHERE ${parts.join(" AND ")}` : "";
  }
}

/** The read side of the PostgreSQL store, and API keys (plain rows, no events). */
export class PostgresReader {
  /** Resolves to the migrated pool (at once for `open`, later for `lazy`). */
  /** Keys by hash for a second (key-cache.ts): a lookup per request is a round trip here. */
  private readonly keyCache = new KeyCache();

  constructor(protected readonly ready: Promise<SQL>) {}

  async getSwarm(id: string) {
    return swarmById(await this.ready, id);
  }

  async listSwarms(query: { status?: string } = {}) {
    const p = new Params();
    const text = `${SWARM_SELECT}${p.where([["s.status = ?", query.status]])} ORDER BY s.id`;
    return (await rows(await this.ready, text, p.values)).map(swarmFromRow);
  }

  async getAgent(id: string) {
    return agentById(await this.ready, id);
  }

  async listAgents(query: AgentQuery = {}) {
    return (await this.selectAgents("*", query)).map(agentFromRow);
  }

  async listAgentVersions(query: AgentQuery = {}) {
    return (await this.selectAgents("id, version", query)) as unknown as AgentVersion[];
  }

  async getAgents(ids: readonly string[]) {
    if (ids.length === 0) return [];
    const text =
      "SELECT * FROM agents WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) ORDER BY id";
    return (await rows(await this.ready, text, [JSON.stringify(ids)])).map(agentFromRow);
  }

  private async selectAgents(columns: string, query: AgentQuery) {
    const p = new Params();
    const filter = p.where(
      [
        ["swarm_id = ?", query.swarmId],
        ["status = ?", query.status],
        ["parent_id = ?", query.parentId],
        ["id > ?", query.afterId],
      ],
      query.held ? ["held_by IS NOT NULL"] : [],
    );
    const text = `SELECT ${columns} FROM agents${filter} ORDER BY id LIMIT ${p.add(query.limit ?? null)}`;
    return rows(await this.ready, text, p.values);
  }

  async getBudget(entityType: BudgetEntity, entityId: string) {
    return budgetOf(await this.ready, entityType, entityId);
  }

  async listBudgets(query: BudgetQuery = {}) {
    const p = new Params();
    const filter = p.where(
      [
        ["entity_type = ?", query.entityType],
        ["entity_id = ?", query.entityId],
      ],
      query.spent ? ["amount_spent > 0"] : [],
    );
    return (await rows(await this.ready, `SELECT * FROM budgets${filter} ORDER BY id`, p.values)).map(
      budgetFromRow,
    );
  }

  /**
   * Events in commit order (seq). `afterId` is a position in that order; an id no longer stored
   * (pruned) falls back to id order, which matches seq order for ids made under the events lock.
   */
  async listEvents(query: EventQuery = {}): Promise<EventRecord[]> {
    const p = new Params();
    const extra: string[] = [];
    if (query.afterId !== undefined) {
      const id = p.add(query.afterId);
      extra.push(`(seq > (SELECT seq FROM events WHERE id = ${id})
        OR (id > ${id} AND NOT EXISTS (SELECT 1 FROM events WHERE id = ${id})))`);
    }
    if (query.types?.length) extra.push(`type IN (${query.types.map((t) => p.add(t)).join(", ")})`);
    const filter = p.where([["timestamp >= ?", query.since]], extra);
    const text = `SELECT * FROM events${filter} ORDER BY seq LIMIT ${p.add(query.limit ?? null)}`;
    return (await rows(await this.ready, text, p.values)).map(eventFromRow);
  }

  /** The newest committed event's id, or null on an empty table. */
  async lastEventId(): Promise<string | null> {
    const last = await row(await this.ready, "SELECT id FROM events ORDER BY seq DESC LIMIT 1");
    return last ? String(last.id) : null;
  }

  async insertApiKey(key: ApiKeyRecord) {
    // A transaction of its own, for the same duplicate-key error as every other write.
    await transaction(await this.ready, (tx) => insertRow(tx, "api_keys", apiKeyToRow(key)));
  }

  async findApiKeyByHash(keyHash: string) {
    return this.keyCache.find(keyHash, async () => {
      const found = await row(await this.ready, "SELECT * FROM api_keys WHERE key_hash = $1", [keyHash]);
      return found ? apiKeyFromRow(found) : null;
    });
  }

  async listApiKeys() {
    return (await rows(await this.ready, "SELECT * FROM api_keys ORDER BY id")).map(apiKeyFromRow);
  }

  async updateApiKey(id: string, patch: { isActive?: boolean; lastUsedAt?: number }) {
    this.keyCache.forget(id);
    const found = await row(
      await this.ready,
      `UPDATE api_keys SET is_active = COALESCE($1::bigint, is_active), last_used_at = COALESCE($2::bigint, last_used_at)
       WHERE id = $3 RETURNING *`,
      [patch.isActive === undefined ? null : patch.isActive ? 1 : 0, patch.lastUsedAt ?? null, id],
    );
    return found ? apiKeyFromRow(found) : null;
  }
}
