import { resolve } from "node:path";
import { defineCommand } from "citty";
import type { SwarmStatus } from "../domain/states.ts";
import type { SwarmResponse } from "../domain/swarm.ts";
import { agentTable } from "./agent.ts";
import {
  age,
  bar,
  clientArgs,
  clientFor,
  idCommand,
  money,
  numberArg,
  output,
  status,
  UsageError,
} from "./common.ts";
import { EXIT } from "./run.ts";
import { bold, dim, green, table, yellow } from "./style.ts";
import { destroy, merge } from "./swarm-branches.ts";
import { finishedSwarm, waitForSwarm } from "./wait-swarm.ts";

const commaList = (value: string | undefined) =>
  value
    ?.split(",")
    .map((item) => item.trim())
    .filter(Boolean);

const idArg = { id: { type: "positional", required: true, description: "Swarm id" } } as const;

function swarmRow(s: SwarmResponse): string[] {
  const used = s.budget.allocated > 0 ? (s.budget.spent / s.budget.allocated) * 100 : 0;
  return [
    s.id,
    s.demo ? `${s.name} ${yellow("(demo)")}` : s.name,
    status(s.status),
    String(s.agentCount),
    `${money(s.budget.spent, s.budget.currency)} / ${money(s.budget.allocated, s.budget.currency)}`,
    bar(used),
    s.strategy,
    age(s.createdAt),
  ];
}

export const swarmTable = (swarms: SwarmResponse[]): string =>
  swarms.length === 0
    ? dim('No swarms. Create one with: dash swarm create <name> --task "…"')
    : table(
        ["ID", "NAME", "STATUS", "AGENTS", "SPENT / BUDGET", "USED", "STRATEGY", "AGE"],
        swarms.map(swarmRow),
      );

function done(verb: string, s: SwarmResponse): string {
  return `${green("✓")} ${verb} swarm ${bold(s.name)} ${dim(s.id)}: ${status(s.status)}, ${s.agentCount} agents, ${money(s.budget.spent, s.budget.currency)} of ${money(s.budget.allocated, s.budget.currency)} spent`;
}

const create = defineCommand({
  meta: { name: "create", description: "Create a swarm with its agents and budget" },
  args: {
    name: { type: "positional", required: true, description: "Swarm name" },
    task: { type: "string", required: true, description: "What the agents should do (natural language)" },
    agents: { type: "string", description: "Number of agents to start with (1-100, default 1)" },
    strategy: { type: "string", description: "parallel | map-reduce | pipeline | tree (default parallel)" },
    budget: { type: "string", description: "Budget amount (default from the server config)" },
    currency: { type: "string", description: "USD | tokens (default USD)" },
    model: { type: "string", description: "Model for the agents" },
    runtime: { type: "string", description: "Runtime preset name from the server config" },
    inputs: { type: "string", description: "JSON file with an array: one agent (or mapper) per item" },
    stages: { type: "string", description: 'JSON file with the pipeline\'s stages: [{"task": "…"}, …]' },
    "reduce-task": { type: "string", description: "The map-reduce reducer's task (default: --task)" },
    "fail-fast": { type: "boolean", description: "Stop the swarm when an agent fails for good" },
    project: { type: "string", description: "Project budget this swarm's budget draws from too" },
    allow: {
      type: "string",
      description: "Comma list of paths the agents may write besides their workspace",
    },
    block: { type: "string", description: "Comma list of commands the agents may not run (curl,git)" },
    repo: {
      type: "string",
      description: "A git repository: each agent works on its own branch in its own worktree",
    },
    base: { type: "string", description: "With --repo: the commit or branch the agents start from (HEAD)" },
    sandbox: {
      type: "boolean",
      default: true,
      description: "File sandbox (--no-sandbox runs agents unconfined)",
    },
    network: {
      type: "boolean",
      default: true,
      description: "Network inside the sandbox (--no-network cuts it)",
    },
    wait: {
      type: "boolean",
      description: "Wait until the swarm finishes, with a progress bar, and print its result",
    },
    ...clientArgs,
  },
  async run({ args }) {
    const amount = numberArg("--budget", args.budget, { min: 0 });
    if ((args.currency || args.project) && amount === undefined) {
      throw new UsageError("--currency and --project need --budget <amount>");
    }
    const config = Object.fromEntries(
      Object.entries({
        model: args.model,
        runtime: args.runtime,
        failurePolicy: args["fail-fast"] ? "fail-fast" : undefined,
        allowedPaths: commaList(args.allow)?.map((path) => resolve(path)),
        blockedCommands: commaList(args.block),
        fileSandbox: args.sandbox === false ? false : undefined,
        network: args.network === false ? false : undefined,
        repo: args.repo ? resolve(args.repo) : undefined,
        baseRef: args.base,
      }).filter(([, v]) => v !== undefined),
    );
    const client = clientFor(args);
    const created = await client.createSwarm({
      name: args.name,
      task: args.task,
      initialAgents: numberArg("--agents", args.agents, { integer: true, min: 1 }),
      strategy: args.strategy as never,
      inputs: await jsonFile("--inputs", args.inputs),
      stages: await jsonFile("--stages", args.stages),
      reduceTask: args["reduce-task"],
      budget:
        amount === undefined
          ? undefined
          : { amount, currency: (args.currency ?? "USD") as never, project: args.project },
      config: Object.keys(config).length ? config : undefined,
    });
    if (!args.wait) return output(args, created, () => done("Created", created));
    if (!args.json) console.log(done("Created", created));
    const swarm = await waitForSwarm(client, created.id, { quiet: Boolean(args.json) });
    output(args, swarm, () => finishedSwarm(swarm));
    if (swarm.status !== "completed") process.exitCode = EXIT.failure;
  },
});

/** A JSON file's content (an array), or a usage error that says what is wrong with it. */
async function jsonFile(flag: string, path: string | undefined): Promise<never | undefined> {
  if (path === undefined) return undefined;
  const file = Bun.file(path);
  if (!(await file.exists())) throw new UsageError(`${flag}: no file ${path}`);
  try {
    const value: unknown = await file.json();
    if (!Array.isArray(value)) throw new UsageError(`${flag}: ${path} must hold a JSON array`);
    return value as never;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${flag}: ${path} is not valid JSON (${(error as Error).message})`);
  }
}

const list = defineCommand({
  meta: { name: "list", description: "List swarms" },
  args: { status: { type: "string", description: "Only swarms in this status" }, ...clientArgs },
  async run({ args }) {
    const { swarms } = await clientFor(args).listSwarms(args.status as SwarmStatus | undefined);
    output(args, { swarms }, () => swarmTable(swarms));
  },
});

const show = defineCommand({
  meta: { name: "show", description: "Show a swarm and its agents" },
  args: { ...idArg, ...clientArgs },
  async run({ args }) {
    const client = clientFor(args);
    const swarm = await client.getSwarm(args.id);
    const agents = await client.allAgents({ swarmId: swarm.id });
    output(args, { ...swarm, agents }, () =>
      [
        `${bold(swarm.name)} ${dim(swarm.id)}  ${status(swarm.status)}`,
        `task:     ${swarm.task}`,
        `strategy: ${swarm.strategy}    runtime: ${swarm.runtime ?? "default"}${swarm.demo ? yellow(" (DEMO LOAD: made-up work, no model is called)") : ""}    agents: ${swarm.agentCount}    created ${age(swarm.createdAt)} ago`,
        `budget:   ${money(swarm.budget.spent, swarm.budget.currency)} of ${money(swarm.budget.allocated, swarm.budget.currency)}  ${bar(swarm.budget.allocated > 0 ? (swarm.budget.spent / swarm.budget.allocated) * 100 : 0, 20)}`,
        "",
        agentTable(agents),
      ].join("\n"),
    );
  },
});

const scale = defineCommand({
  meta: {
    name: "scale",
    description: "Scale a swarm to N unfinished agents (adds idle ones or kills the surplus)",
  },
  args: {
    ...idArg,
    count: { type: "positional", required: true, description: "Target number of agents" },
    ...clientArgs,
  },
  async run({ args }) {
    const target = numberArg("count", args.count, { integer: true, min: 0 });
    if (target === undefined) throw new UsageError("count is required");
    const swarm = await clientFor(args).scaleSwarm(args.id, target);
    output(args, swarm, () => done(`Scaled to ${target}:`, swarm));
  },
});

function action(
  name: string,
  description: string,
  verb: string,
  call: (c: ReturnType<typeof clientFor>, id: string) => Promise<SwarmResponse>,
) {
  return idCommand({ name, description, idOf: "Swarm" }, call, (result) => done(verb, result));
}

export default defineCommand({
  meta: { name: "swarm", description: "Create, list, inspect, scale, merge and destroy swarms" },
  subCommands: {
    create,
    list,
    show,
    scale,
    destroy,
    merge,
    pause: action("pause", "Pause a swarm and its running agents", "Paused", (c, id) => c.pauseSwarm(id)),
    resume: action("resume", "Resume a paused swarm and its agents", "Resumed", (c, id) => c.resumeSwarm(id)),
  },
});
