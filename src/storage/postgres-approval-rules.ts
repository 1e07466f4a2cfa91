import type { ApprovalRuleRecord } from "../domain/approval-rule.ts";
import { insertRow, type Pg, row, rows, transaction } from "./postgres-db.ts";
import { duplicateRule, isUnique, MAX_RULES, ruleFromRow, ruleToRow } from "./sqlite-approval-rules.ts";

/** sqlite-approval-rules.ts for PostgreSQL: the same rows, the same refusal of a duplicate. */

export async function listRules(pg: Pg): Promise<ApprovalRuleRecord[]> {
  return (await rows(pg, "SELECT * FROM approval_rules ORDER BY id LIMIT $1", [MAX_RULES])).map(ruleFromRow);
}

export async function insertRule(pg: Pg, rule: ApprovalRuleRecord): Promise<ApprovalRuleRecord> {
  try {
    // Through transaction(): it words a unique violation as SQLite does ("UNIQUE").
    await transaction(pg, (tx) => insertRow(tx, "approval_rules", ruleToRow(rule)));
  } catch (error) {
    if (isUnique(error)) throw duplicateRule(rule);
    throw error;
  }
  return rule;
}

export async function deleteRule(pg: Pg, id: string): Promise<ApprovalRuleRecord | null> {
  const found = await row(pg, "DELETE FROM approval_rules WHERE id = $1 RETURNING *", [id]);
  return found ? ruleFromRow(found) : null;
}
