import { z } from "zod";
import { type ApprovalContext, ApprovalContextSchema, TimeoutActionSchema } from "./approval-context.ts";
import { LIMITS } from "./limits.ts";
import { boundedJsonObject } from "./validate.ts";

/**
 * Approval gates (issue 9): a question for a person. An agent asks with its token, or a budget
 * action asks whether a paused swarm may go on; the agent waits paused (held by "approval") until
 * someone answers or the request times out: denied, approved or its agent killed, as the request
 * (or config `approvals.onTimeout`) says. A rule may answer it at once (approval-rule.ts).
 */
export const ApprovalStatusSchema = z.enum(["pending", "approved", "denied"]);
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;
export const ApprovalKindSchema = z.enum(["agent", "budget", "merge"]);
export type ApprovalKind = z.infer<typeof ApprovalKindSchema>;

export interface ApprovalRecord {
  id: string;
  kind: ApprovalKind;
  swarmId: string | null;
  agentId: string | null;
  title: string;
  details: Record<string, unknown>;
  status: ApprovalStatus;
  /** What the server gathered for the person deciding (null on requests older than it). */
  context: ApprovalContext | null;
  /** What its deadline does if nobody answers. */
  onTimeout: z.infer<typeof TimeoutActionSchema>;
  /** Why it was answered so: the person's words, "timed out …", or the rule's. */
  reason: string | null;
  /** The key id that answered, "timeout", or "rule:<rule id>". */
  resolvedBy: string | null;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  resolvedAt: number | null;
  /** When `approval.escalated` fired for it (once), or null. */
  escalatedAt: number | null;
  version: number;
}

export const DEFAULT_APPROVAL_TIMEOUT_S = 900;

/** POST /api/approvals: what is asked. An agent's key asks for itself (agentId defaults to it). */
export const RequestApprovalSchema = z.strictObject({
  agentId: z.ulid().optional(),
  title: z.string().trim().min(1).max(LIMITS.title),
  details: boundedJsonObject(LIMITS.details).optional(),
  /** Unanswered this long, `onTimeout` applies (and the agent goes on with that answer). */
  timeoutSeconds: z.number().int().min(1).max(86_400).default(DEFAULT_APPROVAL_TIMEOUT_S),
  /** Deny (the default unless config `approvals.onTimeout` says otherwise), approve, or kill the agent. */
  onTimeout: TimeoutActionSchema.optional(),
});
export type RequestApproval = z.infer<typeof RequestApprovalSchema>;

/** POST /api/approvals/:id/approve|deny */
export const ResolveApprovalSchema = z.strictObject({
  reason: z.string().trim().min(1).max(LIMITS.reason).optional(),
  // A merge approval's side to keep: a side's name, agent id or branch (approving one needs it).
  choice: z.string().trim().min(1).max(LIMITS.choice).optional(),
});

export const ApprovalResponseSchema = z.object({
  id: z.ulid(),
  kind: ApprovalKindSchema,
  swarmId: z.ulid().nullable(),
  agentId: z.ulid().nullable(),
  title: z.string(),
  details: z.record(z.string(), z.unknown()),
  status: ApprovalStatusSchema,
  reason: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  resolvedAt: z.iso.datetime().nullable(),
  // Optional: the dashboard makes pending approvals from their events, which carry no such fields.
  context: ApprovalContextSchema.nullable().optional(),
  onTimeout: TimeoutActionSchema.optional(),
  escalatedAt: z.iso.datetime().nullable().optional(),
  version: z.number().int().positive(),
});
export type ApprovalResponse = z.infer<typeof ApprovalResponseSchema>;

export const ApprovalListSchema = z.object({ approvals: z.array(ApprovalResponseSchema) });

const iso = (ms: number) => new Date(ms).toISOString();

export function toApprovalResponse(a: ApprovalRecord): ApprovalResponse {
  return {
    id: a.id,
    kind: a.kind,
    swarmId: a.swarmId,
    agentId: a.agentId,
    title: a.title,
    details: a.details,
    status: a.status,
    reason: a.reason,
    resolvedBy: a.resolvedBy,
    createdAt: iso(a.createdAt),
    expiresAt: iso(a.expiresAt),
    resolvedAt: a.resolvedAt === null ? null : iso(a.resolvedAt),
    context: a.context,
    onTimeout: a.onTimeout,
    escalatedAt: a.escalatedAt === null ? null : iso(a.escalatedAt),
    version: a.version,
  };
}
