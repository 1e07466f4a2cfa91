import type { ApprovalRecord } from "../domain/approval.ts";
import { DashError } from "../domain/errors.ts";
import type { ApprovalChange } from "../storage/store.ts";
import { type Answer, approvalEvent } from "./approvals.ts";

/**
 * What the ApprovalTimer decides about requests nobody answers (pure, for the write path): at the
 * deadline its `onTimeout` applies; past config `approvals.escalateAfter` it is escalated, once.
 */

/** The answer a request's deadline gives: approve or deny, or deny and kill its agent. */
export function timeoutAnswer(approval: ApprovalRecord): Answer {
  const seconds = Math.round((approval.expiresAt - approval.createdAt) / 1000);
  const action = approval.onTimeout;
  const status = action === "approve" ? "approved" : "denied";
  const then = action === "kill" ? ": its agent is killed" : action === "approve" ? ": approved" : "";
  return { status, reason: `timed out after ${seconds}s${then}`, by: "timeout", action };
}

/**
 * Escalating: recorded on the row (`escalatedAt`) in the same transaction as its event, so
 * however many servers sweep, `approval.escalated` fires once, with the context it was asked with.
 */
export function decideEscalation(now: number, afterSeconds: number) {
  return (approval: ApprovalRecord): ApprovalChange => {
    if (approval.status !== "pending" || approval.escalatedAt !== null) {
      const why = approval.status === "pending" ? "was already escalated" : `was already ${approval.status}`;
      throw new DashError("CONFLICT", `approval ${approval.id} ${why}`, { status: approval.status });
    }
    const event = approvalEvent("approval.escalated", approval, {
      details: approval.details,
      context: approval.context,
      onTimeout: approval.onTimeout,
      expiresAt: new Date(approval.expiresAt).toISOString(),
      escalated: true,
      escalatedAfter: afterSeconds,
    });
    return { patch: { escalatedAt: now }, events: [event] };
  };
}
