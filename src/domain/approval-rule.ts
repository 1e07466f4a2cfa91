import { z } from "zod";
import { LIMITS } from "./limits.ts";

/**
 * Approval rules (issue 27): a standing answer. A new request whose title matches a rule's pattern
 * (in the rule's swarm, or any swarm for a rule without one) is answered at once by the rule, as a
 * person would have answered it, so the same question is not asked again and again.
 */
export const RuleActionSchema = z.enum(["approve", "deny"]);
export type RuleAction = z.infer<typeof RuleActionSchema>;

export interface ApprovalRuleRecord {
  id: string;
  action: RuleAction;
  /** Only this swarm's requests; null: every swarm's (and requests about no swarm). */
  swarmId: string | null;
  /** A glob on the whole title: `*` is any text, `\*` a star, `\\` a backslash. */
  pattern: string;
  /** The key that made it. */
  createdBy: string | null;
  /** The answered request it was made from (`dash approvals rule add --from`). */
  fromApprovalId: string | null;
  createdAt: number;
}

/** POST /api/approvals/rules: a pattern and its answer, or an answered request to copy. */
export const CreateApprovalRuleSchema = z.union([
  z.strictObject({
    action: RuleActionSchema,
    match: z.string().trim().min(1).max(LIMITS.title),
    swarmId: z.ulid().optional(),
  }),
  z.strictObject({ from: z.ulid() }),
]);
export type CreateApprovalRule = z.infer<typeof CreateApprovalRuleSchema>;

export const ApprovalRuleSchema = z.object({
  id: z.ulid(),
  action: RuleActionSchema,
  swarmId: z.ulid().nullable(),
  pattern: z.string(),
  createdBy: z.string().nullable(),
  fromApprovalId: z.ulid().nullable(),
  createdAt: z.iso.datetime(),
});
export type ApprovalRuleResponse = z.infer<typeof ApprovalRuleSchema>;

export const ApprovalRuleListSchema = z.object({ rules: z.array(ApprovalRuleSchema) });

export function toRuleResponse(r: ApprovalRuleRecord): ApprovalRuleResponse {
  return { ...r, createdAt: new Date(r.createdAt).toISOString() };
}

/** A title as a pattern that matches only itself (its stars and backslashes escaped). */
export const literalPattern = (title: string) => title.replace(/[\\*]/g, (c) => `\\${c}`);

/** The literal parts of a pattern between its unescaped stars (n stars: n + 1 parts). */
function parts(pattern: string): string[] {
  const out = [""];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") out.push("");
    else out[out.length - 1] += c === "\\" && i + 1 < pattern.length ? (pattern[++i] as string) : c;
  }
  return out;
}

/**
 * Whether `pattern` matches the whole of `title`. Not a RegExp: a pattern of many stars would make
 * one backtrack for ages. The first part must begin the title, the last end it, the others come in
 * order between: taking each at its first place leaves the most room for the rest.
 */
export function globMatches(pattern: string, title: string): boolean {
  const [first = "", ...rest] = parts(pattern);
  if (rest.length === 0) return first === title;
  const last = rest.pop() as string;
  if (!title.startsWith(first)) return false;
  let at = first.length;
  for (const part of rest) {
    const found = title.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return title.length - last.length >= at && title.endsWith(last);
}
