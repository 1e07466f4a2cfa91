import { z } from "zod";
import { continueMerge } from "../../core/swarm-merge.ts";
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
import { MergeOutcomeSchema } from "../../domain/merge.ts";
import { type ApiDeps, defineRoute } from "../route.ts";
import { approvalRuleRoutes } from "./approval-rules.ts";

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

/**
 * The approval once answered, or as it is after `seconds` or when the client goes away. It listens
 * before it reads, so an answer committed in between is not missed.
 */
async function answered(
  deps: ApiDeps,
  id: string,
  seconds: number,
  signal: AbortSignal,
): Promise<ApprovalRecord> {
  let done = () => {};
  const waited = new Promise<void>((resolve) => {
    done = resolve;
  });
  const unsubscribe = deps.lifecycle.bus.subscribe((event) => {
    if (event.type === "approval.resolved" && event.data.approvalId === id) done();
  });
  const timer = setTimeout(done, seconds * 1000);
  signal.addEventListener("abort", done);
  try {
    const approval = await find(deps, id);
    if (approval.status === "pending") await waited;
  } finally {
    clearTimeout(timer);
    unsubscribe();
    signal.removeEventListener("abort", done);
  }
  return find(deps, id);
}

function answerRoute(verb: "approve" | "deny", status: "approved" | "denied") {
  return defineRoute({
    method: "POST",
    path: `/api/approvals/:id/${verb}`,
    // Not agentScoped: an agent's own key can never answer (its own or any) request.
    permission: "write",
    summary:
      verb === "approve"
        ? "Approve a pending request; the agent waiting on it goes on. A merge approval needs `choice` " +
          "(the side to keep) and merges again with it (its outcome in `merge`)"
        : "Deny a pending request; the agent waiting on it goes on (a denied merge moves nothing)",
    body: ResolveApprovalSchema,
    response: ApprovalResponseSchema.extend({ merge: MergeOutcomeSchema.optional() }),
    async handler({ params, body, key, deps }) {
      const approval = await deps.lifecycle.answerApproval(params.id as string, {
        status,
        reason: body.reason,
        by: key?.id ?? "unknown",
        choice: body.choice,
      });
      if (approval.kind !== "merge" || status !== "approved") return toApprovalResponse(approval);
      // Approving a side of a merge conflict merges again, that side taking the conflicting hunks.
      const merge = await continueMerge(deps.lifecycle, deps.home, approval).catch((error: unknown) => {
        const said = error instanceof Error ? error.message : String(error);
        throw new DashError(
          error instanceof DashError ? error.code : "INTERNAL_ERROR",
          `approval ${approval.id} is approved, but the merge did not finish: ${said}`,
        );
      });
      return { ...toApprovalResponse(approval), merge };
    },
  });
}

export const approvalRoutes = [
  ...approvalRuleRoutes,
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
      if (!query.wait) return toApprovalResponse(await find(deps, id));
      server.timeout(request, 0);
      return toApprovalResponse(await answered(deps, id, query.wait, request.signal));
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/approvals",
    permission: "write",
    agentScoped: true,
    summary:
      "Ask a person: the agent (an agent's key asks for itself) waits paused until the answer or the " +
      "timeout (`onTimeout`: deny, approve or kill); the server adds the context to decide on, and a " +
      "matching rule answers at once",
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
      const ask = { ...body, kind: "agent" as const, agentId, home: deps.home };
      const approval = await deps.lifecycle.requestApproval(ask);
      return toApprovalResponse(approval);
    },
  }),
  answerRoute("approve", "approved"),
  answerRoute("deny", "denied"),
];
