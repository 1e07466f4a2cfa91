import type { AgentRecord } from "../domain/agent.ts";
import { notFound } from "../domain/errors.ts";
import type { ModelCallRecord, ModelSpend, NewModelCall } from "../domain/model-call.ts";
import type { ChainBudget } from "../safety/budget.ts";
import type { CallAdmission, CallAdmitted, CallSettled, CallSettlement } from "./call-store.ts";
import { lockBudgetChain } from "./postgres-budgets.ts";
import { insertEvents, insertRow, type Pg, row, rows, updateRow } from "./postgres-db.ts";
import { agentById, Params } from "./postgres-reader.ts";
import { BUDGET_COLUMNS, budgetFromRow } from "./sqlite-budget-rows.ts";
import { callFromRow } from "./sqlite-calls.ts";
import { AGENT_COLUMNS, agentFromRow } from "./sqlite-rows.ts";

/**
 * sqlite-calls.ts for PostgreSQL. Each function runs inside the caller's transaction and locks
 * what `decide` reads: the call (settling), then the agent, then its budget chain in id order.
 */
async function lockedAgent(tx: Pg, id: string): Promise<AgentRecord> {
  const agent = await agentById(tx, id, true);
  if (!agent) throw notFound("agent", id);
  return agent;
}

export async function getCallRow(pg: Pg, id: string, lock = false): Promise<ModelCallRecord | null> {
  const found = await row(pg, `SELECT * FROM model_calls WHERE id = $1${lock ? " FOR NO KEY UPDATE" : ""}`, [
    id,
  ]);
  return found ? callFromRow(found) : null;
}

/** Writes the agent's patch and the budgets' patches, then returns them as they are now. */
async function writeMeter(
  tx: Pg,
  agent: AgentRecord,
  change: Pick<CallSettlement, "agent" | "budgets">,
  now: number,
) {
  const changed = Object.keys(change.agent).length > 0;
  const record = changed
    ? agentFromRow(await updateRow(tx, "agents", AGENT_COLUMNS, agent, change.agent, now))
    : agent;
  const budgets = [];
  for (const { budget, patch } of change.budgets) {
    budgets.push(budgetFromRow(await updateRow(tx, "budgets", BUDGET_COLUMNS, budget, patch, now)));
  }
  return { record, budgets };
}

export async function admitCallTx(
  tx: Pg,
  call: NewModelCall,
  decide: (agent: AgentRecord, chain: ChainBudget[]) => CallAdmission | null,
  now: number,
): Promise<CallAdmitted | null> {
  const agent = await lockedAgent(tx, call.agentId);
  const change = decide(agent, await lockBudgetChain(tx, agent));
  if (!change) return null;
  await insertRow(tx, "model_calls", {
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
    ended_at: change.call.status === "open" ? null : now,
  });
  const { record, budgets } = await writeMeter(tx, agent, { agent: change.agent ?? {}, budgets: [] }, now);
  const events = await insertEvents(tx, change.events, now);
  return { record, budgets, events, call: (await getCallRow(tx, call.id)) as ModelCallRecord };
}

export async function settleCallTx(
  tx: Pg,
  id: string,
  decide: (call: ModelCallRecord, agent: AgentRecord, chain: ChainBudget[]) => CallSettlement,
  now: number,
): Promise<CallSettled> {
  const call = await getCallRow(tx, id, true);
  if (!call) throw notFound("model call", id);
  const agent = await lockedAgent(tx, call.agentId);
  const change = decide(call, agent, await lockBudgetChain(tx, agent, false));
  const end = change.call;
  const closed = await row(
    tx,
    `UPDATE model_calls SET status = $1, reserved_units = 0, prompt_tokens = $2, completion_tokens = $3,
       cost_micros = $4, http_status = $5, error = $6, first_byte_ms = $7, latency_ms = $8, ended_at = $9
     WHERE id = $10 AND status = 'open' RETURNING *`,
    [
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
    ],
  );
  // Settling twice would spend twice: only the one that closed the open call may write the spend.
  if (!closed) throw notFound("open model call", id);
  const { record, budgets } = await writeMeter(tx, agent, change, now);
  const events = await insertEvents(tx, change.events, now);
  return { record, budgets, events, call: callFromRow(closed) };
}

export async function listCallRows(
  pg: Pg,
  query: { agentId?: string; swarmId?: string; beforeId?: string; limit?: number },
): Promise<ModelCallRecord[]> {
  const p = new Params();
  const filter = p.where([
    ["agent_id = ?", query.agentId],
    ["swarm_id = ?", query.swarmId],
    ["id < ?", query.beforeId],
  ]);
  const text = `SELECT * FROM model_calls${filter} ORDER BY id DESC LIMIT ${p.add(query.limit ?? null)}`;
  return (await rows(pg, text, p.values)).map(callFromRow);
}

export async function loseOpenCallsTx(tx: Pg, now: number): Promise<ModelCallRecord[]> {
  const lost = await rows(
    tx,
    `UPDATE model_calls SET status = 'lost', reserved_units = 0, ended_at = $1,
       error = 'the server stopped while the call was in flight: its usage is unknown to Dash'
     WHERE status = 'open' RETURNING *`,
    [now],
  );
  // RETURNING follows no order; SQLite's comes in rowid order, close to id order: keep that.
  return lost.map(callFromRow).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function modelSpendRows(pg: Pg, query: { swarmId?: string } = {}): Promise<ModelSpend[]> {
  const p = new Params();
  const filter = p.where([["swarm_id = ?", query.swarmId]]);
  const found = await rows(
    pg,
    `SELECT model, COUNT(*) AS calls, COUNT(*) FILTER (WHERE status = 'refused') AS refused,
       SUM(prompt_tokens)::bigint AS prompt_tokens, SUM(completion_tokens)::bigint AS completion_tokens,
       SUM(cost_micros)::bigint AS cost_micros
     FROM model_calls${filter} GROUP BY model ORDER BY model COLLATE "C"`,
    p.values,
  );
  return found.map((r) => ({
    model: String(r.model),
    calls: Number(r.calls),
    refused: Number(r.refused),
    promptTokens: Number(r.prompt_tokens),
    completionTokens: Number(r.completion_tokens),
    costMicros: Number(r.cost_micros),
  }));
}
