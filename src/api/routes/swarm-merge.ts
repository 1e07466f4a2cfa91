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
