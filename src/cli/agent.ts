import { defineCommand } from "citty";
import type { AgentResponse } from "../domain/agent.ts";
import type { AgentStatus } from "../domain/states.ts";
import { calls } from "./agent-calls.ts";
import { diff, logs } from "./agent-logs.ts";
import { age, clientArgs, clientFor, idCommand, money, numberArg, output, status } from "./common.ts";
import { failureLines, shortReason } from "./failure.ts";
import { bold, dim, green, red, table } from "./style.ts";

const idArg = { id: { type: "positional", required: true, description: "Agent id" } } as const;

export function agentTable(agents: AgentResponse[]): string {
  if (agents.length === 0) return dim("No agents.");
  // A failed agent says why in its row (only when one has an error: the table stays narrow).
  const reasons = agents.some((a) => a.error !== null);
  const rows = agents.map((a) => [
    a.id,
    a.name,
    status(a.status),
    a.progress.total > 0 ? `${a.progress.current}/${a.progress.total} ${a.progress.percentage}%` : "-",
    a.cost.totalTokens.toLocaleString("en-US"),
    money(a.cost.amount, "USD"),
    a.model,
    age(a.createdAt),
    ...(reasons ? [red(shortReason(a, 50))] : []),
  ]);
  const head = ["ID", "NAME", "STATUS", "PROGRESS", "TOKENS", "COST", "MODEL", "AGE"];
  return table(reasons ? [...head, "REASON"] : head, rows);
}

const done = (verb: string, a: AgentResponse) =>
  `${green("✓")} ${verb} agent ${bold(a.name)} ${dim(a.id)}: ${status(a.status)}`;

const list = defineCommand({
  meta: { name: "list", description: "List agents (all pages unless --limit)" },
  args: {
    swarm: { type: "string", description: "Only agents of this swarm" },
    status: { type: "string", description: "Only agents in this status" },
    limit: { type: "string", description: "At most this many (1-1000)" },
    ...clientArgs,
  },
  async run({ args }) {
    const client = clientFor(args);
    const query = { swarmId: args.swarm, status: args.status as AgentStatus | undefined };
    const limit = numberArg("--limit", args.limit, { integer: true, min: 1 });
    const agents =
      limit === undefined
        ? await client.allAgents(query)
        : (await client.listAgents({ ...query, limit })).agents;
    output(args, { agents }, () => agentTable(agents));
  },
});

const show = defineCommand({
  meta: { name: "show", description: "Show one agent" },
  args: { ...idArg, ...clientArgs },
  async run({ args }) {
    const a = await clientFor(args).getAgent(args.id);
    output(args, a, () =>
      [
        `${bold(a.name)} ${dim(a.id)}  ${status(a.status)}`,
        `swarm:    ${a.swarmId}${a.parentId ? `    parent: ${a.parentId}` : ""}`,
        `task:     ${a.task}`,
        `model:    ${a.model}${a.sessionId ? `    session: ${a.sessionId}` : ""}`,
        `progress: ${a.progress.current}/${a.progress.total} (${a.progress.percentage}%)`,
        `cost:     ${money(a.cost.amount, "USD")}  (${a.cost.promptTokens} prompt + ${a.cost.completionTokens} completion tokens)${a.metering ? `    metered by ${a.metering === "gateway" ? "the gateway (each call admitted first)" : "its reports"}` : ""}`,
        `retries:  ${a.retryCount}    created ${age(a.createdAt)} ago${a.completedAt ? `    finished ${age(a.completedAt)} ago` : ""}`,
        ...failureLines(a),
      ].join("\n"),
    );
  },
});

const spawn = defineCommand({
  meta: { name: "spawn", description: "Add an agent to a swarm" },
  args: {
    swarm: { type: "string", required: true, description: "Swarm id" },
    name: { type: "string", description: "Agent name (default <swarm>-<id>)" },
    task: { type: "string", description: "Task (default: the swarm's)" },
    model: { type: "string", description: "Model (default: the swarm's)" },
    parent: { type: "string", description: "Parent agent id (for trees)" },
    ...clientArgs,
  },
  async run({ args }) {
    const agent = await clientFor(args).spawnAgent({
      swarmId: args.swarm,
      name: args.name,
      task: args.task,
      model: args.model,
      parentId: args.parent,
    });
    output(args, agent, () => done("Spawned", agent));
  },
});

function action(
  name: string,
  description: string,
  verb: string,
  call: (c: ReturnType<typeof clientFor>, id: string) => Promise<AgentResponse>,
) {
  return idCommand({ name, description, idOf: "Agent" }, call, (result) => done(verb, result));
}

export default defineCommand({
  meta: {
    name: "agent",
    description:
      "List, inspect, spawn, kill, pause and resume agents; read their logs, diffs and model calls",
  },
  subCommands: {
    list,
    show,
    spawn,
    kill: action("kill", "Kill an agent", "Killed", (c, id) => c.killAgent(id)),
    pause: action("pause", "Pause a running agent", "Paused", (c, id) => c.pauseAgent(id)),
    resume: action("resume", "Resume a paused agent", "Resumed", (c, id) => c.resumeAgent(id)),
    logs,
    diff,
    calls,
  },
});
