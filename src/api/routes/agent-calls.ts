import { z } from "zod";
import { notFound } from "../../domain/errors.ts";
import { ModelCallPageSchema, toModelCallResponse } from "../../domain/model-call.ts";
import { defineRoute } from "../route.ts";
import { CursorSchema, cutPage, LimitSchema } from "../schemas.ts";

/** The model calls an agent made through the gateway: admitted or refused, tokens, cost, latency. */
export const agentCallRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/agents/:id/calls",
    permission: "read",
    summary:
      "The agent's model calls through the gateway, newest first: admitted or refused, tokens, cost, latency; `cursor` pages to older ones",
    query: z.strictObject({ limit: LimitSchema, cursor: CursorSchema.optional() }),
    response: ModelCallPageSchema,
    async handler({ params, query, deps }) {
      const id = params.id as string;
      const agent = await deps.store.getAgent(id);
      if (!agent) throw notFound("agent", id);
      const budget = await deps.store.getBudget("swarm", agent.swarmId);
      const rows = await deps.store.listCalls({
        agentId: id,
        beforeId: query.cursor,
        limit: query.limit + 1,
      });
      const { items, nextCursor } = cutPage(rows, query.limit);
      const tokens = budget?.currency === "tokens";
      return { calls: items.map((c) => toModelCallResponse(c, tokens)), nextCursor };
    },
  }),
];
