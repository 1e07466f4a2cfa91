import { z } from "zod";
import {
  AgentResponseSchema,
  ProgressReportSchema,
  toAgentResponse,
  UsageReportSchema,
} from "../../domain/agent.ts";
import type { ApiKeyRecord } from "../../domain/api-key.ts";
import { DashError } from "../../domain/errors.ts";
import { defineRoute } from "../route.ts";
import { ExpectedVersionSchema } from "../schemas.ts";

/** An agent's own key reports only for itself; operator keys (write) for any agent. */
function assertOwnAgent(key: ApiKeyRecord | null, agentId: string): void {
  if (key?.scope && key.scope.agentId !== agentId) {
    throw new DashError("FORBIDDEN", `an agent's key reports only for its own agent ${key.scope.agentId}`);
  }
}

const UsageResponseSchema = z.object({
  agent: AgentResponseSchema,
  /** Whether the agent may take another step: false when its budget has no room (it is held). */
  admitted: z.boolean(),
});

/**
 * The report protocol over HTTP (DESIGN.md §4), for agents that call the API instead of printing
 * report lines. Usage answers with admission: an agent that waits for `admitted` before its next
 * step can overshoot its budget by at most that one step's report.
 */
export const agentReportRoutes = [
  defineRoute({
    method: "POST",
    path: "/api/agents/:id/usage",
    permission: "write",
    agentScoped: true,
    acceptsEndedAgent: true,
    summary:
      "Report usage (tokens and dollars) of an agent's step; the answer says whether it may take another (an ended agent's own key is still taken here)",
    body: UsageReportSchema,
    response: UsageResponseSchema,
    async handler({ params, body, key, deps }) {
      assertOwnAgent(key, params.id as string);
      const { agent, admitted } = await deps.lifecycle.recordUsage(params.id as string, body);
      return { agent: toAgentResponse(agent), admitted };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/agents/:id/progress",
    permission: "write",
    agentScoped: true,
    summary: "Report a running agent's progress (current of total)",
    body: z.strictObject({ ...ProgressReportSchema.shape, expectedVersion: ExpectedVersionSchema }),
    response: AgentResponseSchema,
    async handler({ params, body, key, deps }) {
      assertOwnAgent(key, params.id as string);
      const { expectedVersion, ...report } = body;
      return toAgentResponse(
        await deps.lifecycle.reportProgress(params.id as string, report, expectedVersion),
      );
    },
  }),
];
