import { ApprovalResponseSchema, type RequestApproval } from "../domain/approval.ts";
import {
  ApprovalRuleListSchema,
  ApprovalRuleSchema,
  type CreateApprovalRule,
} from "../domain/approval-rule.ts";
import type { DashClient } from "./client.ts";

/**
 * The typed calls of approval rules and of a request with its timeout action, beside DashClient
 * (client.ts) and through its `request`: parsed with the server's own schemas, errors as DashErrors.
 */
export function approvalRules(client: DashClient) {
  return {
    list: () => client.request("GET", "/api/approvals/rules", ApprovalRuleListSchema),
    add: (input: CreateApprovalRule) =>
      client.request("POST", "/api/approvals/rules", ApprovalRuleSchema, { body: input }),
    remove: (id: string) =>
      client.request("DELETE", `/api/approvals/rules/${encodeURIComponent(id)}`, ApprovalRuleSchema),
  };
}

/** POST /api/approvals with every field the server takes (`onTimeout` too). */
export const askApproval = (client: DashClient, input: Partial<RequestApproval> & { title: string }) =>
  client.request("POST", "/api/approvals", ApprovalResponseSchema, { body: input });
