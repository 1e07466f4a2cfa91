import type { Database } from "bun:sqlite";
import type { ApprovalRuleRecord, RuleAction } from "../domain/approval-rule.ts";
import { DashError } from "../domain/errors.ts";
import { immediate, insertRow, retryBusy } from "./sqlite-db.ts";
import { num, type Row, str } from "./sqlite-rows.ts";

/** The approval_rules table (migrations/010): plain rows, no events (like API keys). */

/** More than any operator keeps; the list (read on every request) stays small. */
export const MAX_RULES = 1000;

export function ruleFromRow(r: Row): ApprovalRuleRecord {
  return {
    id: str(r.id),
    action: r.action as RuleAction,
    swarmId: r.swarm_id === null ? null : str(r.swarm_id),
    pattern: str(r.pattern),
    createdBy: r.created_by === null ? null : str(r.created_by),
    fromApprovalId: r.from_approval === null ? null : str(r.from_approval),
    createdAt: num(r.created_at),
  };
}

export function ruleToRow(rule: ApprovalRuleRecord): Row {
  return {
    id: rule.id,
    action: rule.action,
    swarm_id: rule.swarmId,
    pattern: rule.pattern,
    created_by: rule.createdBy,
    from_approval: rule.fromApprovalId,
    created_at: rule.createdAt,
  };
}

/** A second rule for the same swarm and pattern, in the words of the CLI that makes them. */
export function duplicateRule(rule: ApprovalRuleRecord): DashError {
  const where = rule.swarmId ? `swarm ${rule.swarmId}` : "every swarm";
  return new DashError(
    "CONFLICT",
    `a rule for "${rule.pattern}" in ${where} exists already: remove it first`,
    {
      pattern: rule.pattern,
      swarmId: rule.swarmId,
    },
  );
}

export const isUnique = (error: unknown) => String(error).includes("UNIQUE");

export function listRules(db: Database): ApprovalRuleRecord[] {
  return retryBusy(() =>
    db
      .query<Row, [number]>("SELECT * FROM approval_rules ORDER BY id LIMIT ?")
      .all(MAX_RULES)
      .map(ruleFromRow),
  );
}

export function insertRule(db: Database, rule: ApprovalRuleRecord): ApprovalRuleRecord {
  try {
    immediate(db, () => insertRow(db, "approval_rules", ruleToRow(rule)));
  } catch (error) {
    if (isUnique(error)) throw duplicateRule(rule);
    throw error;
  }
  return rule;
}

export function deleteRule(db: Database, id: string): ApprovalRuleRecord | null {
  return immediate(db, () => {
    const row = db.query<Row, [string]>("DELETE FROM approval_rules WHERE id = ? RETURNING *").get(id);
    return row ? ruleFromRow(row) : null;
  });
}
