import type { AgentRecord } from "../domain/agent.ts";
import type { ApprovalRecord } from "../domain/approval.ts";
import { notFound } from "../domain/errors.ts";
import { insertEvents, insertRow, type Pg, row, rows, updateRow } from "./postgres-db.ts";
import { agentById, Params } from "./postgres-reader.ts";
import { APPROVAL_COLUMNS, approvalFromRow, newApprovalRow } from "./sqlite-approvals.ts";
import { AGENT_COLUMNS } from "./sqlite-rows.ts";
import type { ApprovalAskChange, ApprovalChange, ApprovalQuery, NewApproval, WriteResult } from "./store.ts";

/** sqlite-approvals.ts for PostgreSQL: reads, and the two writes (ask, answer) with their agent. */

export async function getApproval(pg: Pg, id: string, lock = false): Promise<ApprovalRecord | null> {
  const found = await row(pg, `SELECT * FROM approvals WHERE id = $1${lock ? " FOR NO KEY UPDATE" : ""}`, [
    id,
  ]);
  return found ? approvalFromRow(found) : null;
}

export async function listApprovals(pg: Pg, query: ApprovalQuery): Promise<ApprovalRecord[]> {
  const p = new Params();
  const escalated =
    query.escalated === undefined ? [] : [`escalated_at IS ${query.escalated ? "NOT " : ""}NULL`];
  const filter = p.where(
    [
      ["status = ?", query.status],
      ["swarm_id = ?", query.swarmId],
      ["agent_id = ?", query.agentId],
      ["expires_at <= ?", query.expiredAt],
      ["created_at <= ?", query.createdBefore],
    ],
    escalated,
  );
  const text = `SELECT * FROM approvals${filter} ORDER BY id DESC LIMIT ${p.add(query.limit ?? 500)}`;
  return (await rows(pg, text, p.values)).map(approvalFromRow);
}

/** The approval's agent, locked: `decide` reads it and may pause or resume it. */
async function agentOf(tx: Pg, id: string | null): Promise<AgentRecord | null> {
  if (!id) return null;
  const agent = await agentById(tx, id, true);
  if (!agent) throw notFound("agent", id);
  return agent;
}

/** Inserts the approval and what `decide` does to its agent (pause it), in the caller's transaction. */
export async function insertApprovalTx(
  tx: Pg,
  approval: NewApproval,
  decide: (agent: AgentRecord | null) => ApprovalAskChange,
  now: number,
): Promise<WriteResult<ApprovalRecord>> {
  const agent = await agentOf(tx, approval.agentId);
  const change = decide(agent);
  await insertRow(tx, "approvals", newApprovalRow(approval, change.answer));
  if (agent && change.agent) await updateRow(tx, "agents", AGENT_COLUMNS, agent, change.agent, now);
  const events = await insertEvents(tx, change.events, now);
  return { record: (await getApproval(tx, approval.id)) as ApprovalRecord, events };
}

/**
 * Answers the approval and lets its agent go on, as `decide` says, in the caller's transaction.
 * Locks the approval, then its agent: the order every writer of both uses.
 */
export async function updateApprovalTx(
  tx: Pg,
  id: string,
  decide: (
    approval: ApprovalRecord,
    agent: AgentRecord | null,
    others: number,
    swarmActive: boolean,
  ) => ApprovalChange,
  now: number,
): Promise<WriteResult<ApprovalRecord>> {
  const approval = await getApproval(tx, id, true);
  if (!approval) throw notFound("approval", id);
  const agent = await agentOf(tx, approval.agentId);
  // Other questions the agent still waits on: it goes on only when the last one is answered.
  const others = approval.agentId
    ? Number(
        (
          await row(
            tx,
            "SELECT count(*) AS n FROM approvals WHERE agent_id = $1 AND status = 'pending' AND id != $2",
            [approval.agentId, id],
          )
        )?.n ?? 0,
      )
    : 0;
  const swarm = agent ? await row(tx, "SELECT status FROM swarms WHERE id = $1", [agent.swarmId]) : null;
  const change = decide(approval, agent, others, swarm?.status === "active");
  const updated = await updateRow(tx, "approvals", APPROVAL_COLUMNS, approval, change.patch, now);
  if (agent && change.agent) await updateRow(tx, "agents", AGENT_COLUMNS, agent, change.agent, now);
  const events = await insertEvents(tx, change.events, now);
  return { record: approvalFromRow(updated), events };
}
