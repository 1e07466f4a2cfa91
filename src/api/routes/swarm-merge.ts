import { z } from "zod";
import { mergeSwarm } from "../../core/swarm-merge.ts";
import { MergeOutcomeSchema, MergeRequestSchema } from "../../domain/merge.ts";
import { defineRoute } from "../route.ts";

/** POST /api/swarm/:id/merge (issue 12): see core/swarm-merge.ts. */
export const swarmMergeRoutes = [
  defineRoute({
    method: "POST",
    path: "/api/swarm/:id/merge",
    permission: "write",
    summary:
      "Merge a repo swarm's completed agents' branches into a branch (`into`, default dash/<swarm>/merged) " +
      "in a scratch worktree; on a conflict nothing moves and a `merge` approval asks which side to keep",
    body: MergeRequestSchema,
    response: MergeOutcomeSchema,
    async handler({ params, body, deps }) {
      return mergeSwarm(deps.lifecycle, deps.home, params.id as string, body.into);
    },
  }),
];

/** DELETE /api/swarm/:id?keepBranches=true: what happened to a repo swarm's branches. */
export const DestroyQuery = z.strictObject({
  keepBranches: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .optional(),
});
