import { z } from "zod";
import type { ApprovalResponse } from "../../domain/approval.ts";
import { type MergeOutcome, MergeSideSchema } from "../../domain/merge.ts";

/** What the approvals overlay shows of a merge approval: the files both sides changed, the sides. */
export interface MergeChoice {
  target: string;
  files: string[];
  sides: { name: string; branch: string }[];
}

// Read leniently, like the events: details come from the server as a free-form record, and a
// malformed one shows as an ordinary approval rather than breaking the overlay.
const Details = z.object({
  target: z.string(),
  files: z.array(z.string()),
  sides: z.array(MergeSideSchema),
});

/** The conflict a merge approval's details describe, or null when they do not describe one. */
export function mergeChoiceOf(details: unknown): MergeChoice | null {
  const data = Details.safeParse(details).data;
  if (!data) return null;
  return {
    target: data.target,
    files: data.files,
    sides: data.sides.map(({ name, branch }) => ({ name, branch })),
  };
}

/** The side names of each merge approval, by id: what the 1–9 keys of the overlay pick from. */
export function mergeSidesOf(approvals: readonly ApprovalResponse[]): Map<string, string[]> {
  const sides = new Map<string, string[]>();
  for (const approval of approvals) {
    if (approval.kind !== "merge") continue;
    sides.set(approval.id, mergeChoiceOf(approval.details)?.sides.map((s) => s.name) ?? []);
  }
  return sides;
}

/** "1–3" (or "1" when there is one side): the keys that pick a side. */
export function sideKeys(count: number): string {
  return count > 1 ? `1–${count}` : "1";
}

/** The notice line after a merge approval was approved: how the merge it went on with ended. */
export function mergeNotice(outcome: MergeOutcome): string {
  const count = outcome.merged.length;
  if (outcome.status === "merged") {
    const names = outcome.merged.map((b) => b.name).join(", ");
    return `merged ${count} branch${count === 1 ? "" : "es"} into ${outcome.target} (${names})`;
  }
  if (outcome.status === "up-to-date") return `${outcome.target} was already up to date`;
  const sides = outcome.conflict?.sides.map((s) => s.name).join(" and ") ?? "two sides";
  const files = outcome.conflict?.files.join(", ") ?? "some files";
  return `merge stopped again: ${sides} changed ${files}; Shift+A to pick a side`;
}
