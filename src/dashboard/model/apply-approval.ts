import { z } from "zod";
import { ApprovalKindSchema, type ApprovalResponse } from "../../domain/approval.ts";
import { ApprovalContextSchema, TimeoutActionSchema } from "../../domain/approval-context.ts";
import type { DashEvent } from "../../domain/event.ts";

// Read leniently, like the other events: a malformed one changes nothing.
const Requested = z.object({
  approvalId: z.string(),
  kind: ApprovalKindSchema,
  agentId: z.string().nullable().optional(),
  swarmId: z.string().nullable().optional(),
  title: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  expiresAt: z.iso.datetime(),
});
const Resolved = z.object({ approvalId: z.string() });

/**
 * The pending approvals follow their events: a request adds one, its answer (or its timeout, a
 * denial) removes it. Returns whether anything changed.
 */
export function applyApproval(approvals: Map<string, ApprovalResponse>, event: DashEvent): boolean {
  if (event.type === "approval.requested") {
    const data = Requested.safeParse(event.data).data;
    if (!data || approvals.has(data.approvalId)) return false;
    // What the person needs to decide (task, log, spend, files): a malformed context is left out alone.
    const more = event.data as { context?: unknown; onTimeout?: unknown };
    const context = ApprovalContextSchema.safeParse(more.context).data ?? null;
    const onTimeout = TimeoutActionSchema.safeParse(more.onTimeout).data;
    approvals.set(data.approvalId, {
      id: data.approvalId,
      kind: data.kind,
      agentId: data.agentId ?? null,
      swarmId: data.swarmId ?? null,
      title: data.title,
      details: data.details ?? {},
      status: "pending",
      reason: null,
      resolvedBy: null,
      createdAt: event.timestamp,
      expiresAt: data.expiresAt,
      resolvedAt: null,
      context,
      ...(onTimeout ? { onTimeout } : {}),
      escalatedAt: null,
      version: 1,
    });
    return true;
  }
  if (event.type === "approval.resolved") {
    const data = Resolved.safeParse(event.data).data;
    return !!data && approvals.delete(data.approvalId);
  }
  return false;
}
