import { z } from "zod";
import { ApprovalResponseSchema } from "./approval.ts";
import { LIMITS } from "./limits.ts";

/**
 * Merge-back of a repo swarm (issue 12): its completed agents' branches merged into a target
 * branch. A conflict stops the merge with a `merge` approval: a person picks the side to keep.
 */

/** POST /api/swarm/:id/merge */
export const MergeRequestSchema = z.strictObject({
  // The branch to merge into (made from the swarm's base when it does not exist yet).
  // Unset: dash/<swarm>/merged.
  into: z.string().trim().min(1).max(LIMITS.ref).optional(),
});

const BranchSchema = z.object({ agentId: z.string(), name: z.string(), branch: z.string() });
export type MergeBranch = z.infer<typeof BranchSchema>;

/** One side of a conflict: an agent's branch, or the target's own commits (agentId null). */
export const MergeSideSchema = z.object({
  name: z.string(),
  agentId: z.string().nullable(),
  branch: z.string(),
});
export type MergeSide = z.infer<typeof MergeSideSchema>;

/** What a `merge` approval carries in its details (and what approving it goes on from). */
export interface MergeAsk {
  swarmId: string;
  target: string;
  /** The target's commit when the merge stopped (null: it did not exist yet). */
  targetHead: string | null;
  incoming: MergeBranch;
  files: string[];
  sides: MergeSide[];
  /** How conflicts answered before are settled: branch → the side its hunks take. */
  resolutions: Record<string, "ours" | "theirs">;
  /** Branches whose side lost a conflict: they are not counted as merged (destroy keeps them). */
  overridden: string[];
  /** The side picked, once approved. */
  choice?: string;
}

export const MergeOutcomeSchema = z.object({
  /** merged: the target moved; up-to-date: nothing to merge; conflict: stopped, see `approval`. */
  status: z.enum(["merged", "up-to-date", "conflict"]),
  target: z.string(),
  /** The target's commit now (unchanged on a conflict; null while it does not exist). */
  head: z.string().nullable(),
  merged: z.array(BranchSchema),
  already: z.array(BranchSchema),
  skipped: z.array(BranchSchema.extend({ reason: z.string() })),
  conflict: z.object({ files: z.array(z.string()), sides: z.array(MergeSideSchema) }).optional(),
  approval: ApprovalResponseSchema.optional(),
});
export type MergeOutcome = z.infer<typeof MergeOutcomeSchema>;
