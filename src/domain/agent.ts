import { z } from "zod";
import { LIMITS } from "./limits.ts";
import { fromUnits } from "./money.ts";
import { type AgentStatus, AgentStatusSchema } from "./states.ts";

/** An agents row: cost in micro-USD, times in epoch ms. */
export interface AgentRecord {
  id: string;
  name: string;
  status: AgentStatus;
  swarmId: string;
  parentId: string | null;
  task: string;
  model: string;
  progressCurrent: number;
  progressTotal: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  sessionId: string | null;
  metadata: Record<string, unknown>;
  result: unknown;
  error: unknown;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  completedAt: number | null;
  retryCount: number;
  maxRetries: number;
  /** Bytes of the output log already ingested as reports (the supervisor's resume point). */
  logOffset: number;
  /** The shim process of the current attempt (its process group id). */
  pid: number | null;
  exitCode: number | null;
  /** Its part in the swarm's plan, and its place there (input index, pipeline stage). */
  role: AgentRole;
  position: number;
  /** What `{input}` is for it (null: none). */
  input: string | null;
  /** The expected cost of its next step, held in its budgets' currency while it is live. */
  reservedUnits: number;
  /** "budget" while it waits for room in its budget; "approval" while it waits for an answer. */
  heldBy: string | null;
  /** How its current attempt is confined: "bwrap", "sandbox-exec", "off" (fileSandbox: false); null before it ran. */
  sandbox: string | null;
  /** How its spend is known: "gateway" (each model call admitted first) or "reports"; null before it ran. */
  metering: Metering | null;
  /** The node whose process runs its current attempt (several nodes on one database); null before. */
  nodeId: string | null;
  version: number;
}

export const MeteringSchema = z.enum(["gateway", "reports"]);
export type Metering = z.infer<typeof MeteringSchema>;

export const AgentRoleSchema = z.enum(["worker", "mapper", "reducer", "stage", "root", "child"]);
export type AgentRole = z.infer<typeof AgentRoleSchema>;

/** Usage as a runtime reports it: one step's tokens and its cost in dollars. */
export const UsageReportSchema = z.strictObject({
  model: z.string().min(1).max(LIMITS.model).optional(),
  promptTokens: z.number().int().nonnegative().max(1e12),
  completionTokens: z.number().int().nonnegative().max(1e12),
  costUsd: z.number().nonnegative().max(1e6),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

export const ProgressReportSchema = z
  .strictObject({ current: z.number().int().nonnegative(), total: z.number().int().nonnegative() })
  .refine((p) => p.total === 0 || p.current <= p.total, { message: "current must not exceed total" });
export type ProgressReport = z.infer<typeof ProgressReportSchema>;

/** GET /api/agents/:id (PRD §5.3). */
export const AgentResponseSchema = z.object({
  id: z.ulid(),
  name: z.string(),
  status: AgentStatusSchema,
  swarmId: z.ulid(),
  parentId: z.ulid().nullable(),
  task: z.string(),
  model: z.string(),
  progress: z.object({
    current: z.number().int(),
    total: z.number().int(),
    percentage: z.number().min(0).max(100),
  }),
  cost: z.object({
    promptTokens: z.number().int(),
    completionTokens: z.number().int(),
    totalTokens: z.number().int(),
    amount: z.number(),
  }),
  sessionId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  /** Beyond PRD §5.3: its part in the swarm's strategy, its input, and how its run ended. */
  role: AgentRoleSchema,
  input: z.string().nullable(),
  result: z.unknown(),
  error: z.unknown(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  retryCount: z.number().int(),
  /**
   * How its current attempt is confined: "bwrap" (Linux), "sandbox-exec" (macOS), "off" (the swarm
   * set fileSandbox: false); null before it first ran.
   */
  sandbox: z.enum(["bwrap", "sandbox-exec", "off"]).nullable(),
  /**
   * How its spend is known: "gateway" (every model call goes through Dash's gateway and is admitted
   * against its budgets before it is made) or "reports" (what it prints or posts, after the fact).
   */
  metering: MeteringSchema.nullable(),
  /** The node (`dash nodes`) whose process runs its current attempt; null before it ran. */
  nodeId: z.string().nullable(),
  /** Beyond PRD §5.3: the row version, to send back as `expectedVersion` (optimistic locking). */
  version: z.number().int().positive(),
});
export type AgentResponse = z.infer<typeof AgentResponseSchema>;

export function percentage(current: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.round((current / total) * 1000) / 10);
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toAgentResponse(agent: AgentRecord): AgentResponse {
  return {
    id: agent.id,
    name: agent.name,
    status: agent.status,
    swarmId: agent.swarmId,
    parentId: agent.parentId,
    task: agent.task,
    model: agent.model,
    progress: {
      current: agent.progressCurrent,
      total: agent.progressTotal,
      percentage: percentage(agent.progressCurrent, agent.progressTotal),
    },
    cost: {
      promptTokens: agent.promptTokens,
      completionTokens: agent.completionTokens,
      totalTokens: agent.promptTokens + agent.completionTokens,
      amount: fromUnits(agent.costMicros, "USD"),
    },
    sessionId: agent.sessionId,
    metadata: agent.metadata,
    role: agent.role,
    input: agent.input,
    result: agent.result,
    error: agent.error,
    createdAt: iso(agent.createdAt),
    updatedAt: iso(agent.updatedAt),
    completedAt: agent.completedAt === null ? null : iso(agent.completedAt),
    retryCount: agent.retryCount,
    sandbox: agent.sandbox as AgentResponse["sandbox"],
    metering: agent.metering,
    nodeId: agent.nodeId,
    version: agent.version,
  };
}
