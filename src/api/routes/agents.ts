import { z } from "zod";
import { assertRunnable } from "../../core/runnable.ts";
import type { AgentMove } from "../../core/transitions.ts";
import { AgentResponseSchema, toAgentResponse } from "../../domain/agent.ts";
import { DashError, notFound } from "../../domain/errors.ts";
import { LIMITS } from "../../domain/limits.ts";
import { AgentStatusSchema } from "../../domain/states.ts";
import { boundedJsonObject } from "../../domain/validate.ts";
import { AgentPageSchema } from "../../domain/wire.ts";
import { agentPagesOf } from "../agent-pages.ts";
import { defineRoute, type RouteContext } from "../route.ts";
import { CursorSchema, LimitSchema, type MoveBody, MoveBodySchema } from "../schemas.ts";

const ListQuery = z.strictObject({
  swarmId: z.ulid().optional(),
  status: AgentStatusSchema.optional(),
  parentId: z.ulid().optional(),
  limit: LimitSchema,
  cursor: CursorSchema.optional(),
});

export const SpawnAgentSchema = z.strictObject({
  swarmId: z.ulid(),
  name: z.string().trim().min(1).max(LIMITS.name).optional(),
  task: z.string().min(1).max(LIMITS.task).optional(),
  model: z.string().min(1).max(LIMITS.model).optional(),
  parentId: z.ulid().optional(),
  metadata: boundedJsonObject(LIMITS.metadata).optional(),
});

/** A route that moves one agent through the state machine. */
function moveRoute(path: string, to: AgentMove["to"], method: "POST" | "DELETE", summary: string) {
  return defineRoute({
    method,
    path,
    permission: "write",
    summary,
    body: MoveBodySchema,
    response: AgentResponseSchema,
    async handler({ params, body, deps }: RouteContext<unknown, MoveBody>) {
      return toAgentResponse(await deps.lifecycle.moveAgent(params.id as string, { to, ...body }));
    },
  });
}

export const agentRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/agents",
    permission: "read",
    summary: "List agents in id order, by swarm, status or parent; cursor pagination",
    query: ListQuery,
    response: AgentPageSchema,
    async handler({ query, deps }) {
      const { cursor, limit, ...filters } = query;
      const body = await agentPagesOf(deps.store).page(deps.store, { ...filters, afterId: cursor, limit });
      return new Response(body, { headers: { "Content-Type": body.type } });
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/agents",
    permission: "write",
    agentScoped: true,
    summary:
      "Spawn an agent into a live swarm (idle until a runtime starts it); an agent's own key spawns its children",
    body: SpawnAgentSchema,
    response: AgentResponseSchema,
    status: 201,
    async handler({ body: asked, deps, key }) {
      // An agent's key (DASH_AGENT_TOKEN) spawns into its own swarm; its children by default.
      const scope = key?.scope;
      if (scope && asked.swarmId !== scope.swarmId) {
        throw new DashError(
          "FORBIDDEN",
          `an agent's key can only spawn agents in its own swarm ${scope.swarmId}`,
        );
      }
      const body = scope ? { ...asked, parentId: asked.parentId ?? scope.agentId } : asked;
      if (body.parentId) {
        const parent = await deps.store.getAgent(body.parentId);
        if (!parent || parent.swarmId !== body.swarmId) {
          throw new DashError(
            "VALIDATION_ERROR",
            `parent agent ${body.parentId} is not in swarm ${body.swarmId}`,
            {
              field: "parentId",
            },
          );
        }
      }
      const swarm = deps.runtimes ? await deps.store.getSwarm(body.swarmId) : null;
      if (swarm && deps.runtimes) assertRunnable(swarm.config, deps.runtimes);
      return toAgentResponse(await deps.lifecycle.spawnAgent(body));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/agents/:id",
    permission: "read",
    summary: "Get an agent",
    response: AgentResponseSchema,
    async handler({ params, deps }) {
      const agent = await deps.store.getAgent(params.id as string);
      if (!agent) throw notFound("agent", params.id as string);
      return toAgentResponse(agent);
    },
  }),
  moveRoute("/api/agents/:id", "killed", "DELETE", "Kill an agent"),
  moveRoute(
    "/api/agents/:id/pause",
    "paused",
    "POST",
    "Pause a running agent (SIGSTOP to its process group; an openclaw agent's run is aborted, as OpenClaw has no pause)",
  ),
  moveRoute(
    "/api/agents/:id/resume",
    "running",
    "POST",
    "Resume a paused agent (SIGCONT; an openclaw agent's session gets a continuation message and goes on from there)",
  ),
];
