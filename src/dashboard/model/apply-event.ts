import { z } from "zod";
import { type AgentResponse, MeteringSchema } from "../../domain/agent.ts";
import type { ApprovalResponse } from "../../domain/approval.ts";
import type { DashEvent } from "../../domain/event.ts";
import { AgentStatusSchema, FINISHED_AGENT_STATUSES, SwarmStatusSchema } from "../../domain/states.ts";
import { StrategySchema, type SwarmResponse } from "../../domain/swarm.ts";
import { applyApproval } from "./apply-approval.ts";

/** What the dashboard knows of agents, swarms and pending approvals; events patch it in place. */
export interface Entities {
  agents: Map<string, AgentResponse>;
  swarms: Map<string, SwarmResponse>;
  approvals: Map<string, ApprovalResponse>;
}

// Events are read leniently: a field of the wrong shape is ignored, never a crash.
const Spawned = z.object({
  agentId: z.string(),
  name: z.string(),
  swarmId: z.string(),
  parentId: z.string().nullable().optional(),
  task: z.string().optional(),
  status: AgentStatusSchema.optional(),
});
const AgentMoved = z.object({
  agentId: z.string(),
  status: AgentStatusSchema,
  retryCount: z.number().int().optional(),
  sessionId: z.string().nullable().optional(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
  sandbox: z.enum(["bwrap", "sandbox-exec", "off"]).optional(),
  metering: MeteringSchema.optional(),
});
const Progress = z.object({
  agentId: z.string(),
  progress: z.object({ current: z.number(), total: z.number(), percentage: z.number() }),
  cost: z.object({ tokens: z.number(), amount: z.number() }).optional(),
});
const Usage = z.object({
  agentId: z.string(),
  model: z.string().optional(),
  /** Set by the gateway: the call it settled. */
  callId: z.string().optional(),
  total: z.object({
    promptTokens: z.number(),
    completionTokens: z.number(),
    totalTokens: z.number(),
    amount: z.number(),
  }),
});
const SwarmCreated = z.object({
  swarmId: z.string(),
  name: z.string(),
  task: z.string().optional(),
  strategy: StrategySchema.optional(),
  agentCount: z.number().int().optional(),
  budget: z.object({ allocated: z.number(), currency: z.enum(["USD", "tokens"]) }).optional(),
});
const SwarmMoved = z.object({
  swarmId: z.string(),
  status: SwarmStatusSchema,
  result: z.unknown().optional(),
});

/**
 * Applies one committed event to what the dashboard shows; returns whether anything changed.
 * Applied in commit order on top of a REST snapshot, every field converges to the server's, since
 * each field's latest writer is an event. The row `version` is bumped locally so memoized rows
 * redraw exactly when their agent changed.
 */
export function applyEvent(entities: Entities, event: DashEvent): boolean {
  const at = event.timestamp;
  if (event.type === "agent.spawned") {
    const data = Spawned.safeParse(event.data).data;
    if (!data) return false;
    const known = entities.agents.get(data.agentId);
    entities.agents.set(data.agentId, known ?? newAgent(data, at));
    return !known;
  }
  if (event.type === "agent.progress") {
    const data = Progress.safeParse(event.data).data;
    return !!data && patchAgent(entities, data.agentId, at, () => ({ progress: data.progress }));
  }
  if (event.type === "agent.usage") {
    const data = Usage.safeParse(event.data).data;
    return (
      !!data &&
      patchAgent(entities, data.agentId, at, (a) => ({
        model: data.model ?? a.model,
        cost: { ...data.total },
        // Only the gateway names a call: an agent started after the snapshot learns its metering here.
        metering: data.callId ? "gateway" : a.metering,
      }))
    );
  }
  if (event.type.startsWith("agent.")) {
    const data = AgentMoved.safeParse(event.data).data;
    if (!data) return false;
    return patchAgent(entities, data.agentId, at, (a) => ({
      status: data.status,
      retryCount: data.retryCount ?? a.retryCount,
      sandbox: data.sandbox ?? a.sandbox,
      metering: data.metering ?? a.metering,
      sessionId: data.sessionId === undefined ? a.sessionId : data.sessionId,
      result: data.result === undefined ? a.result : data.result,
      error: data.error === undefined ? (data.status === "spawning" ? null : a.error) : data.error,
      completedAt: FINISHED_AGENT_STATUSES.has(data.status) ? (a.completedAt ?? at) : null,
    }));
  }
  if (event.type === "swarm.created") {
    const data = SwarmCreated.safeParse(event.data).data;
    if (!data || entities.swarms.has(data.swarmId)) return false;
    entities.swarms.set(data.swarmId, newSwarm(data, at));
    return true;
  }
  if (event.type.startsWith("swarm.")) {
    const data = SwarmMoved.safeParse(event.data).data;
    const swarm = data && entities.swarms.get(data.swarmId);
    if (!data || !swarm) return false;
    entities.swarms.set(swarm.id, {
      ...swarm,
      status: data.status,
      result: data.result === undefined ? swarm.result : data.result,
      updatedAt: at,
      version: swarm.version + 1,
    });
    return true;
  }
  if (event.type.startsWith("approval.")) return applyApproval(entities.approvals, event);
  return false;
}

function patchAgent(
  entities: Entities,
  id: string,
  at: string,
  change: (agent: AgentResponse) => Partial<AgentResponse>,
): boolean {
  const agent = entities.agents.get(id);
  if (!agent) return false;
  entities.agents.set(id, { ...agent, ...change(agent), updatedAt: at, version: agent.version + 1 });
  return true;
}

function newAgent(data: z.infer<typeof Spawned>, at: string): AgentResponse {
  const { agentId: id, name, swarmId, parentId, task, status } = data;
  return blankAgent(
    { id, name, swarmId, parentId: parentId ?? null, task: task ?? "", status: status ?? "idle" },
    at,
  );
}

/** An agent as it is before any report: no progress, no cost, version 1. */
export function blankAgent(
  fields: Pick<AgentResponse, "id" | "name" | "swarmId"> & Partial<AgentResponse>,
  at: string,
): AgentResponse {
  return {
    status: "idle",
    parentId: null,
    task: "",
    model: "",
    progress: { current: 0, total: 0, percentage: 0 },
    cost: { promptTokens: 0, completionTokens: 0, totalTokens: 0, amount: 0 },
    sessionId: null,
    metadata: {},
    role: "worker",
    input: null,
    result: null,
    error: null,
    createdAt: at,
    updatedAt: at,
    completedAt: null,
    retryCount: 0,
    sandbox: null,
    metering: null,
    nodeId: null,
    version: 1,
    ...fields,
  };
}

function newSwarm(data: z.infer<typeof SwarmCreated>, at: string): SwarmResponse {
  const allocated = data.budget?.allocated ?? 0;
  return {
    id: data.swarmId,
    name: data.name,
    status: "creating",
    task: data.task ?? "",
    strategy: data.strategy ?? "parallel",
    agentCount: data.agentCount ?? 0,
    budget: { allocated, spent: 0, currency: data.budget?.currency ?? "USD", remaining: allocated },
    runtime: null,
    demo: false,
    result: null,
    outcome: null,
    createdAt: at,
    updatedAt: at,
    completedAt: null,
    version: 1,
  };
}
