import { createRule } from "../../core/approval-rules.ts";
import {
  ApprovalRuleListSchema,
  ApprovalRuleSchema,
  CreateApprovalRuleSchema,
  toRuleResponse,
} from "../../domain/approval-rule.ts";
import { notFound } from "../../domain/errors.ts";
import { defineRoute } from "../route.ts";

/**
 * Approval rules (domain/approval-rule.ts): standing answers, so admin only: a rule answers for
 * everyone who would have been asked.
 */
export const approvalRuleRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/approvals/rules",
    permission: "admin",
    summary: "List the rules that answer matching approval requests at once, oldest first",
    response: ApprovalRuleListSchema,
    async handler({ deps }) {
      return { rules: (await deps.store.listApprovalRules()).map(toRuleResponse) };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/approvals/rules",
    permission: "admin",
    summary:
      "Add a rule: `action` for requests whose title matches `match` (a glob, `*` any text) in " +
      "`swarmId` or any swarm; or `from` an answered request (its swarm, its title, its answer)",
    body: CreateApprovalRuleSchema,
    response: ApprovalRuleSchema,
    status: 201,
    async handler({ body, key, deps }) {
      return toRuleResponse(await createRule(deps.store, body, key?.id ?? null, Date.now()));
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/api/approvals/rules/:id",
    permission: "admin",
    summary: "Remove a rule: matching requests are asked of people again",
    response: ApprovalRuleSchema,
    async handler({ params, deps }) {
      const id = params.id as string;
      const removed = await deps.store.deleteApprovalRule(id);
      if (!removed) throw notFound("approval rule", id);
      return toRuleResponse(removed);
    },
  }),
];
