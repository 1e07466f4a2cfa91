import type { Database, SQLQueryBindings } from "bun:sqlite";
import type { AgentRecord } from "../domain/agent.ts";
import type { ApprovalKind, ApprovalRecord, ApprovalStatus } from "../domain/approval.ts";
import type { ApprovalContext, TimeoutAction } from "../domain/approval-context.ts";
import { notFound } from "../domain/errors.ts";
import { insertEvents, insertRow, updateRow } from "./sqlite-db.ts";
import { AGENT_COLUMNS, agentFromRow, json, num, numOrNull, type Row, str } from "./sqlite-rows.ts";
import type {
  ApprovalAskChange,
  ApprovalChange,
  ApprovalPatch,
  ApprovalQuery,
  NewApproval,
  WriteResult,
} from "./store.ts";

/** The approvals table: rows ↔ records, reads, and the two writes (ask, answer) with their agent. */

export function approvalFromRow(r: Row): ApprovalRecord {
  return {
    id: str(r.id),
    kind: r.kind as ApprovalKind,
    swarmId: r.swarm_id === null ? null : str(r.swarm_id),
    agentId: r.agent_id === null ? null : str(r.agent_id),
    title: str(r.title),
    details: json(r.details) as Record<string, unknown>,
    context: json(r.context) as ApprovalContext | null,
    onTimeout: r.on_timeout as TimeoutAction,
    status: r.status as ApprovalStatus,
    reason: r.reason === null ? null : str(r.reason),
    resolvedBy: r.resolved_by === null ? null : str(r.resolved_by),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    expiresAt: num(r.expires_at),
    resolvedAt: numOrNull(r.resolved_at),
    escalatedAt: numOrNull(r.escalated_at),
    version: num(r.version),
  };
}

export const APPROVAL_COLUMNS: Record<string, [string, ((v: unknown) => unknown)?]> = {
  status: ["status"],
  reason: ["reason"],
  resolvedBy: ["resolved_by"],
  resolvedAt: ["resolved_at"],
  details: ["details", (v) => JSON.stringify(v)],
  escalatedAt: ["escalated_at"],
};

export function getApproval(db: Database, id: string): ApprovalRecord | null {
  const row = db.query<Row, [string]>("SELECT * FROM approvals WHERE id = ?").get(id);
  return row ? approvalFromRow(row) : null;
}

export function listApprovals(db: Database, query: ApprovalQuery): ApprovalRecord[] {
  const where: string[] = [];
  const values: SQLQueryBindings[] = [];
  const add = (sql: string, value: SQLQueryBindings | undefined) => {
    if (value === undefined) return;
    where.push(sql);
    values.push(value);
  };
  add("status = ?", query.status);
  add("swarm_id = ?", query.swarmId);
  add("agent_id = ?", query.agentId);
  add("expires_at <= ?", query.expiredAt);
  add("created_at <= ?", query.createdBefore);
  if (query.escalated !== undefined) where.push(`escalated_at IS ${query.escalated ? "NOT " : ""}NULL`);
  const sql = `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  return db
    .query<Row, SQLQueryBindings[]>(sql)
    .all(...values, query.limit ?? 500)
    .map(approvalFromRow);
}

function agentOf(db: Database, id: string | null): AgentRecord | null {
  if (!id) return null;
  const row = db.query<Row, [string]>("SELECT * FROM agents WHERE id = ?").get(id);
  if (!row) throw notFound("agent", id);
  return agentFromRow(row);
}

/** The approvals row of a new request, answered already when a rule answered it (`answer`). */
export function newApprovalRow(approval: NewApproval, answer: ApprovalAskChange["answer"]) {
  return {
    id: approval.id,
    kind: approval.kind,
    swarm_id: approval.swarmId,
    agent_id: approval.agentId,
    title: approval.title,
    details: JSON.stringify(approval.details),
    context: approval.context === null ? null : JSON.stringify(approval.context),
    on_timeout: approval.onTimeout,
    created_at: approval.createdAt,
    updated_at: approval.createdAt,
    expires_at: approval.expiresAt,
    ...(answer
      ? {
          status: answer.status ?? "pending",
          reason: answer.reason ?? null,
          resolved_by: answer.resolvedBy ?? null,
          resolved_at: answer.resolvedAt ?? null,
        }
      : {}),
  };
}

/** Inserts the approval and what `decide` does to its agent (pause it), in the caller's transaction. */
export function insertApprovalTx(
  db: Database,
  approval: NewApproval,
  decide: (agent: AgentRecord | null) => ApprovalAskChange,
  now: number,
): WriteResult<ApprovalRecord> {
  const agent = agentOf(db, approval.agentId);
  const change = decide(agent);
  insertRow(db, "approvals", newApprovalRow(approval, change.answer));
  if (agent && change.agent) updateRow(db, "agents", AGENT_COLUMNS, agent, change.agent, now);
  const events = insertEvents(db, change.events, now);
  return { record: getApproval(db, approval.id) as ApprovalRecord, events };
}

/** Answers the approval and lets its agent go on, as `decide` says, in the caller's transaction. */
export function updateApprovalTx(
  db: Database,
  id: string,
  decide: (
    approval: ApprovalRecord,
    agent: AgentRecord | null,
    others: number,
    swarmActive: boolean,
  ) => ApprovalChange,
  now: number,
): WriteResult<ApprovalRecord> {
  const approval = getApproval(db, id);
  if (!approval) throw notFound("approval", id);
  const agent = approval.agentId ? agentOf(db, approval.agentId) : null;
  // Other questions the agent still waits on: it goes on only when the last one is answered.
  const others = approval.agentId
    ? (db
        .query<{ n: number }, [string, string]>(
          "SELECT count(*) AS n FROM approvals WHERE agent_id = ? AND status = 'pending' AND id != ?",
        )
        .get(approval.agentId, id)?.n ?? 0)
    : 0;
  const swarm = agent
    ? db.query<{ status: string }, [string]>("SELECT status FROM swarms WHERE id = ?").get(agent.swarmId)
    : null;
  const change = decide(approval, agent, others, swarm?.status === "active");
  updateRow(db, "approvals", APPROVAL_COLUMNS, approval, change.patch satisfies ApprovalPatch, now);
  if (agent && change.agent) updateRow(db, "agents", AGENT_COLUMNS, agent, change.agent, now);
  const events = insertEvents(db, change.events, now);
  return { record: getApproval(db, id) as ApprovalRecord, events };
}
