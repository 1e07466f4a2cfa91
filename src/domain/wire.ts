import { z } from "zod";
import { AgentResponseSchema } from "./agent.ts";
import { ApiKeySchema } from "./api-key.ts";
import { BudgetSchema, CurrencySchema } from "./budget.ts";
import { EventSchema } from "./event.ts";
import { ModelSpendSchema } from "./model-call.ts";
import { SwarmResponseSchema } from "./swarm.ts";

/** The list and envelope shapes of the REST API, shared by the server routes and the client. */

/** A page of a list: `nextCursor` is the last id, to pass as `cursor`; null on the last page. */
export function pageOf<K extends string, T extends z.ZodType>(key: K, item: T) {
  return z.object({ [key]: z.array(item), nextCursor: z.ulid().nullable() } as { [P in K]: z.ZodArray<T> } & {
    nextCursor: z.ZodNullable<z.ZodULID>;
  });
}

export const HealthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  uptimeSeconds: z.number().int().nonnegative(),
  database: z.enum(["ok", "error"]),
  /** Which database this server keeps its truth in (absent from servers before PostgreSQL). */
  store: z.enum(["sqlite", "postgres"]).optional(),
  /** The node that answered (several may share one PostgreSQL database). */
  node: z.string().optional(),
});
export const NodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string().nullable(),
  version: z.string(),
  startedAt: z.iso.datetime(),
  heartbeatAt: z.iso.datetime(),
  /** Milliseconds since its last heartbeat, as the answering node sees it. */
  heartbeatAgeMs: z.number().int(),
  liveAgents: z.number().int(),
  /** Whether this is the node that answered. */
  self: z.boolean(),
});
export const NodeListSchema = z.object({ nodes: z.array(NodeSchema) });
export const SwarmListSchema = z.object({ swarms: z.array(SwarmResponseSchema) });
export const AgentPageSchema = pageOf("agents", AgentResponseSchema);
export const EventPageSchema = pageOf("events", EventSchema);
export const BudgetTotalSchema = z.object({
  currency: CurrencySchema,
  allocated: z.number(),
  spent: z.number(),
  remaining: z.number(),
});
export const BudgetListSchema = z.object({
  budgets: z.array(BudgetSchema),
  totals: z.array(BudgetTotalSchema),
  /** What the gateway's calls (those budgets' swarms', or all) spent, per model. */
  byModel: z.array(ModelSpendSchema),
});
export type BudgetList = z.infer<typeof BudgetListSchema>;
export const ApiKeyListSchema = z.object({ keys: z.array(ApiKeySchema) });
/** The raw key appears in the create response only, and is never stored or shown again. */
export const CreatedApiKeySchema = ApiKeySchema.extend({ key: z.string() });

/** GET /api/agents/:id/logs: lines of output, and the byte offset to ask `after` next time. */
/** GET /api/agents/:id/diff: what a worktree agent changed against where its branch started. */
/** A destroyed repo swarm's branches: merged ones deleted, the rest kept (and so listed). */
export const BranchesLeftSchema = z.object({ deleted: z.array(z.string()), kept: z.array(z.string()) });

export const AgentDiffSchema = z.object({
  agentId: z.string(),
  branch: z.string(),
  base: z.string(),
  /** `git diff` text (unified); a running agent's includes what it has not committed yet. */
  diff: z.string(),
});

export const AgentLogsSchema = z.object({
  agentId: z.string(),
  lines: z.array(z.string()),
  offset: z.number().int().nonnegative(),
  /** The agent is finished: no more lines will come. */
  finished: z.boolean(),
});
