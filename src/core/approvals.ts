import type { AgentRecord } from "../domain/agent.ts";
import type { ApprovalKind, ApprovalRecord } from "../domain/approval.ts";
import type { TimeoutAction } from "../domain/approval-context.ts";
import type { ApprovalRuleRecord } from "../domain/approval-rule.ts";
import { DashError } from "../domain/errors.ts";
import type { NewEvent } from "../domain/event.ts";
import { newId } from "../domain/ids.ts";
import { FINISHED_AGENT_STATUSES } from "../domain/states.ts";
import type { ApprovalAskChange, ApprovalChange, ApprovalPatch, NewApproval } from "../storage/store.ts";
import { decideAgentMove } from "./transitions.ts";

/**
 * Approval gates (safety/approval in DESIGN.md §2), as pure decisions for the write path: asking
 * pauses a running agent (held by "approval", so neither a swarm resume nor its budget lets it go);
 * the answer, or its timeout (its `onTimeout`: deny, approve, or kill the agent), resumes it once
 * no other question of its is open and its swarm is active. A matching rule answers as it is asked,
 * so the agent never waits. The agent reads the answer with GET /api/approvals/:id when it goes on.
 */
export interface ApprovalAsk {
  kind: ApprovalKind;
  agentId?: string;
  swarmId?: string;
  title: string;
  details?: Record<string, unknown>;
  timeoutSeconds: number;
  /** What the deadline does if nobody answers (default: config `approvals.onTimeout`). */
  onTimeout?: TimeoutAction;
  /** DASH_HOME, where the agent's log and worktree are read for the context (the API gives it). */
  home?: string;
}

/** The request as it will be stored; its context is gathered next (core/approval-context.ts). */
export function draftApproval(ask: ApprovalAsk, now: number, fallback: TimeoutAction): NewApproval {
  return {
    id: newId(now),
    kind: ask.kind,
    agentId: ask.agentId ?? null,
    swarmId: ask.swarmId ?? null,
    title: ask.title,
    details: ask.details ?? {},
    context: null,
    onTimeout: timeoutAction(ask, ask.onTimeout ?? fallback),
    createdAt: now,
    expiresAt: now + ask.timeoutSeconds * 1000,
  };
}

/** Approving a merge needs a side a person picks, killing needs an agent: those time out denied. */
function timeoutAction(ask: ApprovalAsk, action: TimeoutAction): TimeoutAction {
  if (action === "approve" && ask.kind === "merge") return "deny";
  if (action === "kill" && !ask.agentId) return "deny";
  return action;
}

/** An approval event: who it is about, what was asked, and `more` of the moment. */
export function approvalEvent(
  type: "approval.requested" | "approval.resolved" | "approval.escalated",
  approval: NewApproval,
  more: Record<string, unknown>,
): NewEvent {
  const { id, kind, agentId, swarmId, title } = approval;
  return {
    type,
    source: agentId ?? swarmId ?? id,
    data: { approvalId: id, kind, agentId, swarmId, title, ...more },
  };
}

/**
 * Asking: the agent (if any) must not have ended; a running one waits paused, unless `rule`
 * answers at once: then the request is stored answered, evented as a person's answer would be.
 */
export function decideAsk(approval: NewApproval, now: number, rule: ApprovalRuleRecord | null = null) {
  return (agent: AgentRecord | null): ApprovalAskChange => {
    if (agent && FINISHED_AGENT_STATUSES.has(agent.status)) {
      throw new DashError(
        "CONFLICT",
        `agent ${agent.id} has already ended (${agent.status}): nothing waits for an answer`,
      );
    }
    if (agent) approval.swarmId = agent.swarmId;
    const events = [
      approvalEvent("approval.requested", approval, {
        details: approval.details,
        context: approval.context,
        onTimeout: approval.onTimeout,
        expiresAt: new Date(approval.expiresAt).toISOString(),
      }),
    ];
    if (rule) {
      const status = rule.action === "approve" ? "approved" : "denied";
      const by = { status, by: `rule:${rule.id}`, reason: `rule ${rule.id}: "${rule.pattern}"` } as const;
      const { patch, event } = resolution(approval, by, now);
      return { answer: patch, events: [...events, event] };
    }
    if (agent?.status !== "running") return { events };
    const reason = `waiting for approval ${approval.id}: ${approval.title}`;
    const pause = decideAgentMove(agent, { to: "paused", heldBy: "approval", reason }, now);
    return { agent: pause.patch, events: [...events, ...pause.events] };
  };
}

export interface Answer {
  status: "approved" | "denied";
  reason?: string;
  /** The answering key's id, "timeout", or "rule:<id>". */
  by: string;
  /** What a timeout applied (with `by` "timeout"): "kill" also kills the agent. */
  action?: TimeoutAction;
  /** A merge approval's side to keep (its name, agent id or branch); approving one needs it. */
  choice?: string;
}

/** The side an answer picks of a merge approval (stored in its details as `choice`). */
function chosenSide(approval: ApprovalRecord, answer: Answer): Record<string, unknown> | undefined {
  if (approval.kind !== "merge") {
    if (answer.choice === undefined) return undefined;
    throw new DashError(
      "VALIDATION_ERROR",
      `choice is only for merge approvals (${approval.id} is ${approval.kind})`,
      {
        field: "choice",
      },
    );
  }
  if (answer.status !== "approved") return undefined;
  const sides = (approval.details.sides ?? []) as { name: string; agentId: string | null; branch: string }[];
  const { choice } = answer;
  const side =
    choice === undefined ? undefined : sides.find((s) => [s.name, s.agentId, s.branch].includes(choice));
  if (!side) {
    const names = sides.map((s) => s.name).join(", ");
    throw new DashError(
      "VALIDATION_ERROR",
      `approving merge approval ${approval.id} needs the side to keep: choice is one of ${names}`,
      { field: "choice", sides: sides.map((s) => s.name) },
    );
  }
  return { ...approval.details, choice: side.name };
}

/** The answer as stored and as evented: the same for a person, a timeout and a rule. */
function resolution(
  approval: NewApproval,
  answer: Answer,
  now: number,
  details?: Record<string, unknown>,
): { patch: ApprovalPatch; event: NewEvent } {
  const event = approvalEvent("approval.resolved", approval, {
    status: answer.status,
    reason: answer.reason ?? null,
    resolvedBy: answer.by,
    ...(answer.action ? { action: answer.action } : {}),
    ...(details ? { choice: details.choice } : {}),
  });
  const patch = {
    status: answer.status,
    reason: answer.reason ?? null,
    resolvedBy: answer.by,
    resolvedAt: now,
    ...(details ? { details } : {}),
  };
  return { patch, event };
}

/** Answering: once only; the agent goes on when this was the last question it waited on. */
export function decideAnswer(answer: Answer, now: number) {
  return (
    approval: ApprovalRecord,
    agent: AgentRecord | null,
    otherPending: number,
    swarmActive: boolean,
  ): ApprovalChange => {
    if (approval.status !== "pending") {
      throw new DashError("CONFLICT", `approval ${approval.id} was already ${approval.status}`, {
        status: approval.status,
      });
    }
    const details = chosenSide(approval, answer);
    const { patch, event } = resolution(approval, answer, now, details);
    const events = [event];
    if (agent && answer.action === "kill" && !FINISHED_AGENT_STATUSES.has(agent.status)) {
      const reason = `approval ${approval.id} timed out: its timeout kills the agent`;
      const kill = decideAgentMove(agent, { to: "killed", heldBy: null, reason }, now);
      return { patch, agent: kill.patch, events: [...events, ...kill.events] };
    }
    const waiting = agent?.status === "paused" && agent.heldBy === "approval" && otherPending === 0;
    if (!agent || !waiting) return { patch, events };
    // Its swarm was paused meanwhile: the agent stays paused, held by nothing, so the swarm's
    // resume takes it along.
    if (!swarmActive) return { patch, agent: { heldBy: null }, events };
    const reason = `approval ${approval.id} ${answer.status}`;
    const resume = decideAgentMove(agent, { to: "running", heldBy: null, reason }, now);
    return { patch, agent: resume.patch, events: [...events, ...resume.events] };
  };
}
