import { ulid } from "ulid";
import { blankAgent } from "../../src/dashboard/model/apply-event.ts";
import type { BudgetList } from "../../src/dashboard/model/store.ts";
import type { AgentResponse } from "../../src/domain/agent.ts";
import type { ApprovalResponse } from "../../src/domain/approval.ts";
import type { DashEvent } from "../../src/domain/event.ts";
import type { ModelCallResponse } from "../../src/domain/model-call.ts";
import type { SwarmResponse } from "../../src/domain/swarm.ts";

const AT = "2026-11-24T10:42:01.000Z";

export function agent(name: string, patch: Partial<AgentResponse> = {}): AgentResponse {
  const fields = { id: ulid(), name, swarmId: "01JSWARM000000000000000000", status: "running" as const };
  return blankAgent({ ...fields, task: `task of ${name}`, model: "claude-sonnet-4", ...patch }, AT);
}

export function swarm(name: string, patch: Partial<SwarmResponse> = {}): SwarmResponse {
  return {
    id: ulid(),
    name,
    status: "active",
    task: `work of ${name}`,
    strategy: "parallel",
    agentCount: 0,
    budget: { allocated: 10, spent: 0, currency: "USD", remaining: 10 },
    runtime: null,
    demo: false,
    result: null,
    outcome: null,
    createdAt: AT,
    updatedAt: AT,
    completedAt: null,
    version: 1,
    ...patch,
  };
}

/** A pending approval request of an agent, expiring `minutes` after `now`. */
export function approval(
  title: string,
  patch: Partial<ApprovalResponse> = {},
  minutes = 15,
  now = Date.now(),
): ApprovalResponse {
  return {
    id: ulid(),
    kind: "agent",
    swarmId: "01JSWARM000000000000000000",
    agentId: null,
    title,
    details: {},
    status: "pending",
    reason: null,
    resolvedBy: null,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + minutes * 60_000).toISOString(),
    resolvedAt: null,
    version: 1,
    ...patch,
  };
}

export function event(type: DashEvent["type"], data: Record<string, unknown>, at = AT): DashEvent {
  return { id: ulid(), timestamp: at, type, source: String(data.agentId ?? data.swarmId ?? "x"), data };
}

/** A budgets list with one swarm budget per entry: [swarmId, spent, allocated]. */
export function budgets(entries: [string, number, number][]): BudgetList {
  const budgets = entries.map(([swarmId, spent, allocated]) => ({
    id: ulid(),
    entityType: "swarm" as const,
    entityId: swarmId,
    parentBudgetId: null,
    allocated,
    spent,
    currency: "USD" as const,
    remaining: allocated - spent,
    thresholds: { warning: 75, critical: 90, hardStop: 100 },
    actions: { warning: "notify" as const, critical: "pause" as const, hardStop: "kill" as const },
    burnRate: 0.5,
    projected: spent + 1,
    minutesLeft: 12,
    reserved: 0,
    step: 0.1,
    level: spent / allocated >= 0.75 ? ("warning" as const) : ("none" as const),
    updatedAt: AT,
    version: 1,
  }));
  const allocated = entries.reduce((s, e) => s + e[2], 0);
  const spent = entries.reduce((s, e) => s + e[1], 0);
  return {
    budgets,
    totals: [{ currency: "USD", allocated, spent, remaining: allocated - spent }],
    byModel: [],
  };
}

/** The details of a merge approval (domain/merge.ts MergeAsk): agent-2 and the target clashed. */
export const MERGE_DETAILS = {
  swarmId: "01JSWARM000000000000000000",
  target: "integration",
  targetHead: "abc123",
  incoming: { agentId: "01JAGENT000000000000000002", name: "agent-2", branch: "dash/api/agent-2" },
  files: ["src/a.ts", "src/b.ts"],
  sides: [
    { name: "agent-2", agentId: "01JAGENT000000000000000002", branch: "dash/api/agent-2" },
    { name: "integration", agentId: null, branch: "integration" },
  ],
  resolutions: {},
  overridden: [],
};

/** A settled model call through the gateway, started at `AT` plus `second` seconds. */
export function call(patch: Partial<ModelCallResponse> = {}, second = 0): ModelCallResponse {
  const startedAt = new Date(Date.parse(AT) + second * 1000).toISOString();
  return {
    id: ulid(),
    agentId: "01JAGENT000000000000000001",
    provider: "anthropic",
    api: "anthropic-messages",
    model: "claude-sonnet-4-5",
    stream: true,
    status: "settled",
    admitted: true,
    maxTokens: 1000,
    requestedMaxTokens: 1000,
    promptTokens: 1204,
    completionTokens: 310,
    cost: 0.0049,
    reserved: 0,
    httpStatus: 200,
    error: null,
    startedAt,
    endedAt: startedAt,
    firstByteMs: 120,
    latencyMs: 412,
    ...patch,
  };
}
