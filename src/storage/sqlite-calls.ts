import type { Database, SQLQueryBindings } from "bun:sqlite";
import type { AgentRecord } from "../domain/agent.ts";
import type { BudgetRecord } from "../domain/budget.ts";
import { notFound } from "../domain/errors.ts";
import type { CallApi, CallStatus, ModelCallRecord, ModelSpend, NewModelCall } from "../domain/model-call.ts";
import type { CallAdmission, CallAdmitted, CallSettled, CallSettlement } from "./call-store.ts";
import { BUDGET_COLUMNS, budgetFromRow } from "./sqlite-budget-rows.ts";
import { budgetChain } from "./sqlite-budgets.ts";
import { insertEvents, insertRow, updateRow } from "./sqlite-db.ts";
import { AGENT_COLUMNS, agentFromRow, num, numOrNull, type Row, str } from "./sqlite-rows.ts";

/**
 * The gateway's calls in SQLite (see call-store.ts). Each function runs inside the caller's
 * immediate transaction; the chain read includes every open call's reservation (sqlite-budgets.ts).
 */
export function callFromRow(r: Row): ModelCallRecord {
  return {
    id: str(r.id),
    agentId: str(r.agent_id),
    swarmId: str(r.swarm_id),
    provider: str(r.provider),
    api: r.api as CallApi,
    model: str(r.model),
    stream: r.stream === 1,
    status: r.status as CallStatus,
    reservedUnits: num(r.reserved_units),
    maxTokens: numOrNull(r.max_tokens),
    requestedMaxTokens: numOrNull(r.requested_max_tokens),
    promptTokens: num(r.prompt_tokens),
    completionTokens: num(r.completion_tokens),
    costMicros: num(r.cost_micros),
    httpStatus: numOrNull(r.http_status),
    error: r.error === null ? null : str(r.error),
    startedAt: num(r.started_at),
    endedAt: numOrNull(r.ended_at),
    firstByteMs: numOrNull(r.first_byte_ms),
    latencyMs: numOrNull(r.latency_ms),
  };
}

const agentOf = (db: Database, id: string) => {
  const row = db.query<Row, [string]>("SELECT * FROM agents WHERE id = ?").get(id);
  if (!row) throw notFound("agent", id);
  return agentFromRow(row);
};

export const getCallRow = (db: Database, id: string) => {
  const row = db.query<Row, [string]>("SELECT * FROM model_calls WHERE id = ?").get(id);
  return row ? callFromRow(row) : null;
};

const budgetRow = (db: Database, b: BudgetRecord) =>
  db.query<Row, [string]>("SELECT * FROM budgets WHERE id = ?").get(b.id);

/** Writes the agent's patch and the budgets' patches, then returns them as they are now. */
function writeMeter(
  db: Database,
  agent: AgentRecord,
  change: Pick<CallSettlement, "agent" | "budgets">,
  now: number,
) {
  const changed = Object.keys(change.agent).length > 0;
  if (changed) updateRow(db, "agents", AGENT_COLUMNS, agent, change.agent, now);
  const budgets = change.budgets.map(({ budget, patch }) => {
    updateRow(db, "budgets", BUDGET_COLUMNS, budget, patch, now);
    return budgetFromRow(budgetRow(db, budget) as Row);
  });
  // An admitted call leaves its agent as it was read: no second read on every call.
  return { record: changed ? agentOf(db, agent.id) : agent, budgets };
}

export function admitCallTx(
  db: Database,
  call: NewModelCall,
  decide: (agent: AgentRecord, chain: ReturnType<typeof budgetChain>) => CallAdmission | null,
  now: number,
): CallAdmitted | null {
  const agent = agentOf(db, call.agentId);
  const change = decide(agent, budgetChain(db, agent));
  if (!change) return null;
  const ended = change.call.status === "open" ? null : now;
  insertRow(db, "model_calls", {
    id: call.id,
    agent_id: call.agentId,
    swarm_id: call.swarmId,
    provider: call.provider,
    api: call.api,
    model: call.model,
    stream: call.stream ? 1 : 0,
    status: change.call.status,
    reserved_units: change.call.reservedUnits,
    max_tokens: change.call.maxTokens,
    requested_max_tokens: call.requestedMaxTokens,
    http_status: change.call.httpStatus,
    error: change.call.error,
    started_at: call.startedAt,
    ended_at: ended,
  });
  const { record, budgets } = writeMeter(db, agent, { agent: change.agent ?? {}, budgets: [] }, now);
  const events = insertEvents(db, change.events, now);
  return { record, budgets, events, call: getCallRow(db, call.id) as ModelCallRecord };
}

export function settleCallTx(
  db: Database,
  id: string,
  decide: (
    call: ModelCallRecord,
    agent: AgentRecord,
    chain: ReturnType<typeof budgetChain>,
  ) => CallSettlement,
  now: number,
): CallSettled {
  const call = getCallRow(db, id);
  if (!call) throw notFound("model call", id);
  const agent = agentOf(db, call.agentId);
  const change = decide(call, agent, budgetChain(db, agent, false));
  const end = change.call;
  const { changes } = db
    .query(
      `UPDATE model_calls SET status = ?, reserved_units = 0, prompt_tokens = ?, completion_tokens = ?,
         cost_micros = ?, http_status = ?, error = ?, first_byte_ms = ?, latency_ms = ?, ended_at = ?
       WHERE id = ? AND status = 'open'`,
    )
    .run(
      end.status,
      end.promptTokens,
      end.completionTokens,
      end.costMicros,
      end.httpStatus,
      end.error,
      end.firstByteMs,
      end.latencyMs,
      now,
      id,
    );
  // Settling twice would spend twice: only the one that closed the open call may write the spend.
  if (changes !== 1) throw notFound("open model call", id);
  const { record, budgets } = writeMeter(db, agent, change, now);
  const events = insertEvents(db, change.events, now);
  return { record, budgets, events, call: getCallRow(db, id) as ModelCallRecord };
}

export function listCallRows(
  db: Database,
  query: { agentId?: string; swarmId?: string; beforeId?: string; limit?: number },
): ModelCallRecord[] {
  const where: string[] = [];
  const args: SQLQueryBindings[] = [];
  for (const [column, value] of [
    ["agent_id = ?", query.agentId],
    ["swarm_id = ?", query.swarmId],
    ["id < ?", query.beforeId],
  ] as const) {
    if (value === undefined) continue;
    where.push(column);
    args.push(value);
  }
  const sql = `SELECT * FROM model_calls${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  return db
    .query<Row, SQLQueryBindings[]>(sql)
    .all(...args, query.limit ?? -1)
    .map(callFromRow);
}

export function loseOpenCallsTx(db: Database, now: number): ModelCallRecord[] {
  return db
    .query<Row, [number]>(
      `UPDATE model_calls SET status = 'lost', reserved_units = 0, ended_at = ?,
         error = 'the server stopped while the call was in flight: its usage is unknown to Dash'
       WHERE status = 'open' RETURNING *`,
    )
    .all(now)
    .map(callFromRow);
}

export function modelSpendRows(db: Database, query: { swarmId?: string } = {}): ModelSpend[] {
  return db
    .query<Row, [string | null]>(
      `SELECT model, COUNT(*) AS calls, SUM(status = 'refused') AS refused,
         SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,
         SUM(cost_micros) AS cost_micros
       FROM model_calls WHERE (?1 IS NULL OR swarm_id = ?1) GROUP BY model ORDER BY model`,
    )
    .all(query.swarmId ?? null)
    .map((r) => ({
      model: str(r.model),
      calls: num(r.calls),
      refused: num(r.refused),
      promptTokens: num(r.prompt_tokens),
      completionTokens: num(r.completion_tokens),
      costMicros: num(r.cost_micros),
    }));
}
