import { z } from "zod";
import { BudgetInputSchema, type SwarmBudget, SwarmBudgetSchema } from "./budget.ts";
import { LIMITS } from "./limits.ts";
import { type SwarmStatus, SwarmStatusSchema } from "./states.ts";
import { boundedJson } from "./validate.ts";

export const DEFAULT_MODEL = "claude-sonnet-4-20250514";
export const StrategySchema = z.enum(["parallel", "map-reduce", "pipeline", "tree"]);
export type Strategy = z.infer<typeof StrategySchema>;

/** Per-swarm agent settings (PRD §5.2 `config`); unknown keys are refused so typos are caught. */
export const SwarmConfigSchema = z.strictObject({
  model: z.string().min(1).max(LIMITS.model).default(DEFAULT_MODEL),
  timeout: z.number().int().min(1000).max(3_600_000).default(300_000),
  maxRetries: z.number().int().min(0).max(10).default(3),
  fileSandbox: z.boolean().default(true),
  allowedPaths: z.array(z.string().min(1).max(LIMITS.path)).max(LIMITS.paths).optional(),
  blockedCommands: z
    .array(z.string().min(1).max(LIMITS.blockedCommand))
    .max(LIMITS.blockedCommands)
    .optional(),
  // Under the file sandbox: whether agents may use the network (coding agents must reach their model).
  network: z.boolean().default(true),
  // A named runtime preset from the server's config.yaml, or a raw argv (admin only), DESIGN.md §4.
  runtime: z.string().min(1).max(LIMITS.presetName).optional(),
  /** The `providers:` entry of config.yaml its agents' model calls go to (through the gateway). */
  provider: z.string().min(1).max(LIMITS.presetName).optional(),
  command: z.array(z.string().max(LIMITS.arg)).min(1).max(LIMITS.args).optional(),
  // After an agent fails for good: stop the swarm ("fail-fast") or let the others finish and report it.
  failurePolicy: z.enum(["continue", "fail-fast"]).default("continue"),
  // Tree caps (children spawned through the API): depth below the root, children per agent.
  // Unset: the server's swarms.maxDepth / swarms.maxChildren.
  maxDepth: z.number().int().min(1).max(20).optional(),
  maxChildren: z.number().int().min(1).max(100).optional(),
  // A git repository: each agent works in its own worktree on its own branch, made from baseRef
  // (default HEAD; the server stores the commit it named).
  repo: z.string().min(1).max(LIMITS.path).optional(),
  baseRef: z.string().min(1).max(LIMITS.ref).optional(),
});
export type SwarmConfig = z.infer<typeof SwarmConfigSchema>;

const StageSchema = z.strictObject({
  task: z.string().min(1).max(LIMITS.task),
  name: z.string().trim().min(1).max(LIMITS.name).optional(),
});

/**
 * POST /api/swarm (PRD §5.2). Tasks are natural language and are never put in a shell, so they are
 * not filtered for shell characters (DESIGN.md §6). Beyond the PRD, what the strategies plan from:
 * `inputs` (one agent per item, or split across mappers), `stages` (a pipeline), `reduceTask`.
 */
export const CreateSwarmSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(LIMITS.name),
    task: z.string().min(1).max(LIMITS.task),
    // Unset: 1, or one per input (parallel), or one mapper per input (map-reduce).
    initialAgents: z.number().int().min(1).max(100).optional(),
    strategy: StrategySchema.default("parallel"),
    inputs: z.array(boundedJson(LIMITS.input)).min(1).max(LIMITS.inputs).optional(),
    stages: z.array(StageSchema).min(1).max(LIMITS.stages).optional(),
    reduceTask: z.string().min(1).max(LIMITS.task).optional(),
    budget: BudgetInputSchema.optional(),
    config: SwarmConfigSchema.default(SwarmConfigSchema.parse({})),
  })
  .superRefine((swarm, ctx) => {
    const refuse = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const { strategy } = swarm;
    if (strategy === "pipeline" && !swarm.stages) refuse("stages", "a pipeline needs its stages");
    if (strategy !== "pipeline" && swarm.stages) refuse("stages", "stages are for the pipeline strategy");
    if (strategy === "map-reduce" && !swarm.inputs) refuse("inputs", "map-reduce needs inputs to split");
    if (strategy !== "map-reduce" && swarm.reduceTask) refuse("reduceTask", "reduceTask is for map-reduce");
    if ((strategy === "tree" || strategy === "pipeline") && swarm.inputs && swarm.inputs.length > 1) {
      refuse("inputs", `a ${strategy} takes at most one input (its first agent's)`);
    }
    const { inputs, initialAgents } = swarm;
    if (strategy === "parallel" && inputs && initialAgents !== undefined && initialAgents !== inputs.length) {
      refuse("initialAgents", `parallel runs one agent per input: ${inputs.length}, not ${initialAgents}`);
    }
    if (strategy === "map-reduce" && inputs && initialAgents !== undefined && initialAgents > inputs.length) {
      refuse("initialAgents", `${initialAgents} mappers for ${inputs.length} inputs: at most one per input`);
    }
  });
export type CreateSwarmInput = z.input<typeof CreateSwarmSchema>;
export type CreateSwarm = z.infer<typeof CreateSwarmSchema>;

export interface SwarmPlanSpec {
  inputs?: unknown[];
  stages?: Array<{ task: string; name?: string }>;
  reduceTask?: string;
}

/** How a finished swarm went: its agents by end state and each failure. */
export const OutcomeSchema = z.object({
  completed: z.number().int(),
  failed: z.number().int(),
  killed: z.number().int(),
  failures: z.array(z.object({ agentId: z.string(), name: z.string(), message: z.string() })),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

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
  /** What the strategy plans from (see CreateSwarmSchema). */
  plan: SwarmPlanSpec;
  /** The swarm's outcome once finished: `{ value, outcome }`. */
  result: unknown;
  /** "budget" while a budget action holds it paused. */
  heldBy: string | null;
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
  /** The swarm's result once it has finished (map-reduce: the reducer's; pipeline: the last stage's). */
  result: z.unknown(),
  outcome: OutcomeSchema.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  /** Beyond PRD §5.2: the row version, to send back as `expectedVersion` (optimistic locking). */
  version: z.number().int().positive(),
});
export type SwarmResponse = z.infer<typeof SwarmResponseSchema>;

export function toSwarmResponse(swarm: SwarmRecord, budget: SwarmBudget): SwarmResponse {
  const stored = swarm.result as { value?: unknown; outcome?: Outcome } | null;
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
    result: stored?.value ?? null,
    outcome: stored?.outcome ?? null,
    createdAt: new Date(swarm.createdAt).toISOString(),
    updatedAt: new Date(swarm.updatedAt).toISOString(),
    completedAt: swarm.completedAt === null ? null : new Date(swarm.completedAt).toISOString(),
    version: swarm.version,
  };
}
