import { z } from "zod";
import {
  ApprovalListSchema,
  type ApprovalRecord,
  ApprovalResponseSchema,
  ApprovalStatusSchema,
  RequestApprovalSchema,
  ResolveApprovalSchema,
  toApprovalResponse,
} from "../../domain/approval.ts";
import { DashError, notFound } from "../../domain/errors.ts";
import { type ApiDeps, defineRoute } from "../route.ts";

const ListQuery = z.strictObject({
  status: ApprovalStatusSchema.optional(),
  swarmId: z.ulid().optional(),
  agentId: z.ulid().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
// `wait`: hold the answer up to this many seconds while the request is still pending (long poll).
const GetQuery = z.strictObject({ wait: z.coerce.number().int().min(0).max(300).optional() });

async function find(deps: ApiDeps, id: string): Promise<ApprovalRecord> {
  const approval = await deps.store.getApproval(id);
  if (!approval) throw notFound("approval", id);
  return approval;
}

/** Resolves when the approval is answered or `seconds` pass, whichever comes first. */
function answered(deps: ApiDeps, id: string, seconds: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, seconds * 1000);
    const unsubscribe = deps.lifecycle.bus.subscribe((event) => {
      if (event.type === "approval.resolved" && event.data.approvalId === id) done();
    });
  });
}

function answerRoute(verb: "approve" | "deny", status: "approved" | "denied") {
  return defineRoute({
    method: "POST",
    path: `/api/approvals/:id/${verb}`,
    // Not agentScoped: an agent's own key can never answer (its own or any) request.
    permission: "write",
    summary: `${verb === "approve" ? "Approve" : "Deny"} a pending request; the agent waiting on it goes on`,
    body: ResolveApprovalSchema,
    response: ApprovalResponseSchema,
    async handler({ params, body, key, deps }) {
      const approval = await deps.lifecycle.answerApproval(params.id as string, {
        status,
        reason: body.reason,
        by: key?.id ?? "unknown",
      });
      return toApprovalResponse(approval);
    },
  });
}

export const approvalRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/approvals",
    permission: "read",
    summary: "List approval requests, newest first (pending ones with ?status=pending)",
    query: ListQuery,
    response: ApprovalListSchema,
    async handler({ query, deps }) {
      return { approvals: (await deps.store.listApprovals(query)).map(toApprovalResponse) };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/approvals/:id",
    permission: "read",
    summary: "Get an approval request; ?wait=N holds the answer up to N seconds while it is pending",
    query: GetQuery,
    response: ApprovalResponseSchema,
    async handler({ params, query, deps, request, server }) {
      const id = params.id as string;
      const approval = await find(deps, id);
      if (approval.status !== "pending" || !query.wait) return toApprovalResponse(approval);
      server.timeout(request, 0);
      await answered(deps, id, query.wait);
      return toApprovalResponse(await find(deps, id));
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/approvals",
    permission: "write",
    agentScoped: true,
    summary:
      "Ask a person: the agent (an agent's key asks for itself) waits paused until the answer or the timeout",
    body: RequestApprovalSchema,
    response: ApprovalResponseSchema,
    status: 201,
    async handler({ body, key, deps }) {
      const own = key?.scope?.agentId;
      if (own && body.agentId && body.agentId !== own) {
        throw new DashError("FORBIDDEN", `an agent's key asks only for its own agent ${own}`);
      }
      const agentId = own ?? body.agentId;
      if (agentId && !(await deps.store.getAgent(agentId))) throw notFound("agent", agentId);
      const approval = await deps.lifecycle.requestApproval({ ...body, kind: "agent", agentId });
      return toApprovalResponse(approval);
    },
  }),
  answerRoute("approve", "approved"),
  answerRoute("deny", "denied"),
];
