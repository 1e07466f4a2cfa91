import { z } from "zod";
import { CurrencySchema, type SwarmBudget, SwarmBudgetSchema } from "./budget.ts";
import { type SwarmStatus, SwarmStatusSchema } from "./states.ts";

export const DEFAULT_MODEL = "claude-sonnet-4-20250514";
export const StrategySchema = z.enum(["parallel", "map-reduce", "pipeline", "tree"]);
export type Strategy = z.infer<typeof StrategySchema>;

/** Per-swarm agent settings (PRD §5.2 `config`); unknown keys are refused so typos are caught. */
export const SwarmConfigSchema = z.strictObject({
  model: z.string().min(1).max(200).default(DEFAULT_MODEL),
  timeout: z.number().int().min(1000).max(3_600_000).default(300_000),
  maxRetries: z.number().int().min(0).max(10).default(3),
  fileSandbox: z.boolean().default(true),
  allowedPaths: z.array(z.string().min(1).max(4096)).max(100).optional(),
  blockedCommands: z.array(z.string().min(1).max(200)).max(100).optional(),
  // A named runtime preset from the server's config.yaml, or a raw argv (admin only), DESIGN.md §4.
  runtime: z.string().min(1).max(100).optional(),
  command: z.array(z.string().max(10_000)).min(1).max(1000).optional(),
});
export type SwarmConfig = z.infer<typeof SwarmConfigSchema>;

/**
 * POST /api/swarm (PRD §5.2). Tasks are natural language and are never put in a shell, so they are
 * not filtered for shell characters (DESIGN.md §6).
 */
export const CreateSwarmSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  task: z.string().min(1).max(10_000),
  initialAgents: z.number().int().min(1).max(100).default(1),
  strategy: StrategySchema.default("parallel"),
  budget: z
    .strictObject({
      amount: z.number().positive().max(1_000_000),
      currency: CurrencySchema.default("USD"),
      threshold: z.number().min(0).max(100).default(75),
    })
    .optional(),
  config: SwarmConfigSchema.default(SwarmConfigSchema.parse({})),
});
export type CreateSwarmInput = z.input<typeof CreateSwarmSchema>;
export type CreateSwarm = z.infer<typeof CreateSwarmSchema>;

/** A swarms row plus its derived agent count. */
export interface SwarmRecord {
  id: string;
  name: string;
  status: SwarmStatus;
  task: string;
  strategy: Strategy;
  config: SwarmConfig;
  agentCount: number;
  targetAgentCount: number | null;
  result: unknown;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  version: number;
}

export const SwarmResponseSchema = z.object({
  id: z.ulid(),
  name: z.string(),
  status: SwarmStatusSchema,
  task: z.string(),
  strategy: StrategySchema,
  agentCount: z.number().int().nonnegative(),
  budget: SwarmBudgetSchema,
  /** The runtime preset its agents run ("command" for a raw argv; null: the server's default). */
  runtime: z.string().nullable(),
  /** Demo load (the `demo` runtime): made-up work, no model is called (DESIGN.md §4). */
  demo: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Beyond PRD §5.2: the row version, to send back as `expectedVersion` (optimistic locking). */
  version: z.number().int().positive(),
});
export type SwarmResponse = z.infer<typeof SwarmResponseSchema>;

export function toSwarmResponse(swarm: SwarmRecord, budget: SwarmBudget): SwarmResponse {
  return {
    id: swarm.id,
    name: swarm.name,
    status: swarm.status,
    task: swarm.task,
    strategy: swarm.strategy,
    agentCount: swarm.agentCount,
    budget,
    runtime: swarm.config.command ? "command" : (swarm.config.runtime ?? null),
    demo: !swarm.config.command && swarm.config.runtime === "demo",
    createdAt: new Date(swarm.createdAt).toISOString(),
    updatedAt: new Date(swarm.updatedAt).toISOString(),
    version: swarm.version,
  };
}
