import { z } from "zod";
import { settleBranches } from "../../core/merged-refs.ts";
import { assertRunnable } from "../../core/runnable.ts";
import { resolveRepo } from "../../core/worktrees.ts";
import type { AgentRecord } from "../../domain/agent.ts";
import { allows } from "../../domain/api-key.ts";
import { toSwarmBudget } from "../../domain/budget.ts";
import { DashError, notFound } from "../../domain/errors.ts";
import { FINISHED_AGENT_STATUSES, SwarmStatusSchema } from "../../domain/states.ts";
import {
  CreateSwarmSchema,
  type SwarmRecord,
  SwarmResponseSchema,
  toSwarmResponse,
} from "../../domain/swarm.ts";
import { BranchesLeftSchema, SwarmListSchema } from "../../domain/wire.ts";
import { grantedPaths } from "../../safety/sandbox-plan.ts";
import type { Store } from "../../storage/store.ts";
import { type ApiDeps, defineRoute, type RouteContext } from "../route.ts";
import { ExpectedVersionSchema, type MoveBody, MoveBodySchema } from "../schemas.ts";

async function respond(store: Store, swarm: SwarmRecord) {
  const budget = await store.getBudget("swarm", swarm.id);
  if (!budget) throw new DashError("INTERNAL_ERROR", `swarm ${swarm.id} has no budget row`);
  return toSwarmResponse(swarm, toSwarmBudget(budget));
}

async function findSwarm(store: Store, id: string): Promise<SwarmRecord> {
  const swarm = await store.getSwarm(id);
  if (!swarm) throw notFound("swarm", id);
  return swarm;
}

/**
 * Moves the swarm's agents that are in `from` to `to` (pausing, resuming, killing). An agent that
 * moves on its own meanwhile is refused by the state machine, which is what we want here.
 */
async function moveAgents(
  deps: ApiDeps,
  swarmId: string,
  from: (s: string, agent: AgentRecord) => boolean,
  to: "paused" | "running" | "killed",
  reason: string,
) {
  for (const agent of await deps.store.listAgents({ swarmId })) {
    if (!from(agent.status, agent)) continue;
    await deps.lifecycle.moveAgent(agent.id, { to, reason }).catch((error) => {
      if (!(error instanceof DashError)) throw error;
    });
  }
}

/** POST /api/swarm/:id/pause|resume: the swarm moves, then its agents in `agentsFrom` follow. */
function swarmMoveRoute(
  verb: string,
  to: "paused" | "active",
  agentsFrom: "running" | "paused",
  summary: string,
) {
  return defineRoute({
    method: "POST",
    path: `/api/swarm/:id/${verb}`,
    permission: "write",
    summary,
    body: MoveBodySchema,
    response: SwarmResponseSchema,
    async handler({ params, body, deps }: RouteContext<unknown, MoveBody>) {
      const swarm = await deps.lifecycle.moveSwarm(params.id as string, { to, ...body });
      const agentsTo = agentsFrom === "running" ? "paused" : "running";
      // Agents held by their budget go on only through admission (the conductor, on swarm.resumed).
      const moves = (s: string, agent: AgentRecord) => s === agentsFrom && agent.heldBy === null;
      await moveAgents(deps, swarm.id, moves, agentsTo, body.reason ?? `swarm ${verb}d`);
      return respond(deps.store, swarm);
    },
  });
}

const ListQuery = z.strictObject({ status: SwarmStatusSchema.optional() });
/** DELETE /api/swarm/:id?keepBranches=true: what happened to a repo swarm's branches. */
const DestroyQuery = z.strictObject({
  keepBranches: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .optional(),
});
const ScaleBody = z.strictObject({ target: z.number().int().min(0), expectedVersion: ExpectedVersionSchema });
export const swarmRoutes = [
  defineRoute({
    method: "POST",
    path: "/api/swarm",
    permission: "write",
    summary: "Create a swarm with its budget and initial agents",
    limit: "swarmCreate",
    body: CreateSwarmSchema,
    response: SwarmResponseSchema,
    status: 201,
    async handler({ body, key, deps }) {
      // A raw argv runs whatever it says on the server: admin only (named runtime presets are fine).
      if (body.config.command && !allows(key?.permissions ?? [], "admin")) {
        throw new DashError(
          "FORBIDDEN",
          "config.command (a raw argv) needs an admin key; use config.runtime presets",
          {
            required: "admin",
          },
        );
      }
      // Loosening the sandbox is the operator's call: unconfined agents, or write access anywhere
      // the server's config has not bounded with sandbox.allowedRoots.
      const rules = deps.sandbox ?? { protect: [deps.home], hide: [] };
      const grants = body.config.allowedPaths || body.config.repo;
      const loosens = !body.config.fileSandbox || (grants && !rules.allowedRoots);
      if (loosens && !allows(key?.permissions ?? [], "admin")) {
        throw new DashError(
          "FORBIDDEN",
          "fileSandbox: false, or allowedPaths or repo without the server's sandbox.allowedRoots, needs an admin key",
          { required: "admin" },
        );
      }
      // Checked again at each launch: a path may have become a symlink since.
      const allowedPaths = grantedPaths(body.config.allowedPaths, rules);
      const repo = body.config.repo
        ? resolveRepo(grantedPaths([body.config.repo], rules)?.[0] ?? "", body.config.baseRef)
        : {};
      const config = { ...body.config, ...(allowedPaths ? { allowedPaths } : {}), ...repo };
      // Nothing is written for a swarm whose agents could not start (no N failed agents).
      if (deps.runtimes) assertRunnable(config, deps.runtimes);
      const { swarm, budget } = await deps.lifecycle.createParsedSwarm({ ...body, config }, { start: true });
      // Its budget as created (nothing is spent yet): no second read of what was just written.
      return toSwarmResponse(swarm, toSwarmBudget({ ...budget, spentUnits: 0 }));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/swarm",
    permission: "read",
    summary: "List swarms, optionally by status",
    query: ListQuery,
    response: SwarmListSchema,
    async handler({ query, deps }) {
      const swarms = await deps.store.listSwarms(query);
      return { swarms: await Promise.all(swarms.map((s) => respond(deps.store, s))) };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/swarm/:id",
    permission: "read",
    summary: "Get a swarm",
    response: SwarmResponseSchema,
    async handler({ params, deps }) {
      return respond(deps.store, await findSwarm(deps.store, params.id as string));
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/api/swarm/:id",
    permission: "write",
    summary:
      "Destroy a swarm: kill its unfinished agents and mark it destroyed. A repo swarm's merged branches " +
      "are deleted unless ?keepBranches=true; the branches kept are listed in `branches`",
    query: DestroyQuery,
    response: SwarmResponseSchema.extend({ branches: BranchesLeftSchema.optional() }),
    async handler({ params, query, deps }) {
      const swarm = await findSwarm(deps.store, params.id as string);
      await moveAgents(
        deps,
        swarm.id,
        (s) => s === "failed" || !FINISHED_AGENT_STATUSES.has(s as never),
        "killed",
        "swarm destroyed",
      );
      const destroyed = await respond(
        deps.store,
        await deps.lifecycle.moveSwarm(swarm.id, { to: "destroyed" }),
      );
      if (!swarm.config.repo) return destroyed;
      const agents = await deps.store.listAgents({ swarmId: swarm.id });
      // The swarm is destroyed whatever git says (a repository deleted meanwhile leaves nothing to list).
      const branches = await settleBranches(deps.home, swarm, agents, query.keepBranches ?? false).catch(
        (error: unknown) => {
          deps.log.warn("the destroyed swarm's branches could not be settled", {
            swarmId: swarm.id,
            error: String(error),
          });
          return undefined;
        },
      );
      return { ...destroyed, branches };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/swarm/:id/scale",
    permission: "write",
    summary: "Scale a swarm to `target` unfinished agents (adds idle agents or kills the surplus)",
    body: ScaleBody,
    response: SwarmResponseSchema,
    async handler({ params, body, deps }) {
      const id = params.id as string;
      if (deps.runtimes) {
        // Adding agents that could not start is refused; scaling down always works.
        const current = await findSwarm(deps.store, id);
        const agents = await deps.store.listAgents({ swarmId: id });
        const unfinished = agents.filter((a) => !FINISHED_AGENT_STATUSES.has(a.status)).length;
        if (body.target > unfinished) assertRunnable(current.config, deps.runtimes);
      }
      const swarm = await deps.lifecycle.scaleSwarm(id, body.target, body.expectedVersion);
      return respond(deps.store, swarm);
    },
  }),
  swarmMoveRoute("pause", "paused", "running", "Pause a swarm and its running agents"),
  swarmMoveRoute("resume", "active", "paused", "Resume a paused swarm and its paused agents"),
];
