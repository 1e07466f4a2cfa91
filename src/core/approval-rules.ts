import type { ApprovalRecord } from "../domain/approval.ts";
import {
  type ApprovalRuleRecord,
  type CreateApprovalRule,
  globMatches,
  literalPattern,
} from "../domain/approval-rule.ts";
import { DashError, notFound } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { NewApproval, Store } from "../storage/store.ts";

/**
 * Approval rules (domain/approval-rule.ts): which one answers a new request, and making one, by
 * hand or from a request a person answered. A merge approval is never answered by a rule: only a
 * person can pick the side to keep.
 */

/**
 * The rule that answers `approval`, or null. A deny rule wins over an approve rule (the safe
 * answer), a swarm's own rule over one for every swarm, an older one over a newer.
 */
export function ruleFor(rules: ApprovalRuleRecord[], approval: NewApproval): ApprovalRuleRecord | null {
  if (approval.kind === "merge") return null;
  const matching = rules.filter(
    (r) => (r.swarmId === null || r.swarmId === approval.swarmId) && globMatches(r.pattern, approval.title),
  );
  const rank = (r: ApprovalRuleRecord) => (r.action === "deny" ? 0 : 2) + (r.swarmId === null ? 1 : 0);
  return matching.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id))[0] ?? null;
}

export async function matchingRule(store: Store, approval: NewApproval): Promise<ApprovalRuleRecord | null> {
  if (approval.kind === "merge") return null;
  return ruleFor(await store.listApprovalRules(), approval);
}

/** A new rule as asked (POST /api/approvals/rules), by the key `by`. */
export async function createRule(
  store: Store,
  input: CreateApprovalRule,
  by: string | null,
  now: number,
): Promise<ApprovalRuleRecord> {
  const base = { id: newId(now), createdBy: by, createdAt: now };
  if ("from" in input)
    return store.insertApprovalRule({ ...base, ...copyOf(await answered(store, input.from)) });
  if (input.swarmId && !(await store.getSwarm(input.swarmId))) throw notFound("swarm", input.swarmId);
  return store.insertApprovalRule({
    ...base,
    action: input.action,
    swarmId: input.swarmId ?? null,
    pattern: input.match,
    fromApprovalId: null,
  });
}

/** A request a person answered: what a rule may copy. */
async function answered(store: Store, id: string): Promise<ApprovalRecord> {
  const approval = await store.getApproval(id);
  if (!approval) throw notFound("approval", id);
  const refuse = (why: string) =>
    new DashError("CONFLICT", `approval ${id} ${why}: a rule copies a person's answer`, {
      approvalId: id,
      status: approval.status,
      resolvedBy: approval.resolvedBy,
    });
  if (approval.status === "pending") throw refuse("is not answered yet");
  if (approval.resolvedBy === "timeout") throw refuse("timed out");
  if (approval.kind === "merge") throw refuse("is a merge (its side is picked each time)");
  return approval;
}

/** The same swarm, the same title (its stars taken literally), the same answer. */
function copyOf(approval: ApprovalRecord) {
  return {
    action: approval.status === "approved" ? ("approve" as const) : ("deny" as const),
    swarmId: approval.swarmId,
    pattern: literalPattern(approval.title),
    fromApprovalId: approval.id,
  };
}
