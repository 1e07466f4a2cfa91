import { defineCommand } from "citty";
import type { MergeOutcome } from "../domain/merge.ts";
import { clientArgs, clientFor, output, status } from "./common.ts";
import { EXIT } from "./run.ts";
import { bold, dim, green, red, yellow } from "./style.ts";

/**
 * What a repo swarm's branches come to (issue 12): `dash swarm merge` brings completed agents'
 * branches into one branch; `dash swarm destroy` deletes the merged ones unless --keep-branches.
 */

const names = (list: { name: string }[]) => list.map((b) => b.name).join(", ");

/** A merge's outcome in words: what came in, what did not and why, and what to do next. */
export function describeMerge(m: MergeOutcome): string {
  const lines: string[] = [];
  const head = m.head ? dim(m.head.slice(0, 12)) : "";
  if (m.status === "merged") {
    lines.push(
      `${green("✓")} Merged ${m.merged.length} branch(es) into ${bold(m.target)} ${head}: ${names(m.merged)}`,
    );
  } else if (m.status === "up-to-date") {
    lines.push(
      `${green("✓")} Nothing new to merge: ${bold(m.target)} ${head} has every completed agent's work`,
    );
  } else {
    const sides = m.conflict?.sides ?? [];
    lines.push(
      `${red("✗")} Merge stopped: ${sides.map((s) => s.name).join(" and ")} changed the same lines of ${m.conflict?.files.join(", ")}.`,
      `  ${bold(m.target)} is unchanged and every branch is kept.`,
      `  Keep one side:  dash approvals approve ${m.approval?.id} --choice <${sides.map((s) => s.name).join("|")}>`,
      `  Or leave it:    dash approvals deny ${m.approval?.id}`,
    );
  }
  if (m.already.length > 0) lines.push(dim(`  already in ${m.target}: ${names(m.already)}`));
  for (const s of m.skipped) lines.push(yellow(`  not merged: ${s.name} (${s.reason})`));
  if (m.status === "merged") lines.push(dim(`  bring it into your checkout with: git merge ${m.target}`));
  return lines.join("\n");
}

export const merge = defineCommand({
  meta: {
    name: "merge",
    description:
      "Merge a repo swarm's completed agents' branches into a branch (in a scratch worktree; stops on conflicts)",
  },
  args: {
    id: { type: "positional", required: true, description: "Swarm id" },
    into: {
      type: "string",
      description: "Branch to merge into (default dash/<swarm>/merged; made if missing)",
    },
    ...clientArgs,
  },
  async run({ args }) {
    const outcome = await clientFor(args).mergeSwarm(args.id, args.into);
    output(args, outcome, () => describeMerge(outcome));
    if (outcome.status === "conflict") process.exitCode = EXIT.failure;
  },
});

export const destroy = defineCommand({
  meta: {
    name: "destroy",
    description: "Kill a swarm's agents and mark it destroyed (a repo swarm's merged branches go too)",
  },
  args: {
    id: { type: "positional", required: true, description: "Swarm id" },
    "keep-branches": { type: "boolean", description: "Keep a repo swarm's merged branches too" },
    ...clientArgs,
  },
  async run({ args }) {
    const swarm = await clientFor(args).destroySwarm(args.id, args["keep-branches"]);
    output(args, swarm, () => {
      const lines = [
        `${green("✓")} Destroyed swarm ${bold(swarm.name)} ${dim(swarm.id)}: ${status(swarm.status)}`,
      ];
      const { deleted = [], kept = [] } = swarm.branches ?? {};
      if (deleted.length > 0) lines.push(dim(`  merged branches deleted: ${deleted.join(", ")}`));
      if (kept.length > 0) lines.push(yellow(`  branches kept: ${kept.join(", ")}`));
      return lines.join("\n");
    });
  },
});
