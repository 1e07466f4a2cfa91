import { z } from "zod";
import { toSwarmBudget } from "../../domain/budget.ts";
import { DashError, notFound } from "../../domain/errors.ts";
import { FINISHED_AGENT_STATUSES, SwarmStatusSchema } from "../../domain/states.ts";
import { type SwarmRecord, toSwarmResponse } from "../../domain/swarm.ts";
import { parseOrThrow } from "../../domain/validate.ts";
import type { Store } from "../../storage/store.ts";
import { readJson } from "../errors.ts";
import { json, type Route } from "../route.ts";

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

const ListQuery = z.strictObject({ status: SwarmStatusSchema.optional() });

export const swarmRoutes: Route[] = [
  {
    method: "POST",
    path: "/api/swarm",
    permission: "write",
    async handler({ request, deps }) {
      const { swarm } = await deps.lifecycle.createSwarm((await readJson(request)) as never);
      const active = await deps.lifecycle.moveSwarm(swarm.id, { to: "active" });
      return json(await respond(deps.store, active), 201);
    },
  },
  {
    method: "GET",
    path: "/api/swarm",
    permission: "read",
    async handler({ url, deps }) {
      const query = parseOrThrow(ListQuery, Object.fromEntries(url.searchParams), "query");
      const swarms = await deps.store.listSwarms(query);
      return json({ swarms: await Promise.all(swarms.map((s) => respond(deps.store, s))) });
    },
  },
  {
    method: "GET",
    path: "/api/swarm/:id",
    permission: "read",
    async handler({ params, deps }) {
      return json(await respond(deps.store, await findSwarm(deps.store, params.id as string)));
    },
  },
  {
    method: "DELETE",
    path: "/api/swarm/:id",
    permission: "write",
    async handler({ params, deps }) {
      const swarm = await findSwarm(deps.store, params.id as string);
      // Stop every agent that has not finished, then mark the swarm destroyed. An agent that
      // finishes on its own meanwhile is refused by the state machine, which is fine here.
      for (const agent of await deps.store.listAgents({ swarmId: swarm.id })) {
        if (FINISHED_AGENT_STATUSES.has(agent.status)) continue;
        await deps.lifecycle
          .moveAgent(agent.id, { to: "killed", reason: "swarm destroyed" })
          .catch((error) => {
            if (!(error instanceof DashError)) throw error;
          });
      }
      const destroyed = await deps.lifecycle.moveSwarm(swarm.id, { to: "destroyed" });
      return json(await respond(deps.store, destroyed));
    },
  },
];
