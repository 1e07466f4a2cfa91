import { defineCommand } from "citty";
import type { AgentResponse } from "../domain/agent.ts";
import type { SwarmResponse } from "../domain/swarm.ts";
import { clientArgs, clientFor, money, output, status } from "./common.ts";
import { bold, dim } from "./style.ts";

export interface TreeNode {
  agent: AgentResponse;
  children: TreeNode[];
}

/** Agents nested under their parents; an agent whose parent is missing is a root. */
export function buildTree(agents: AgentResponse[]): TreeNode[] {
  const nodes = new Map(agents.map((agent) => [agent.id, { agent, children: [] as TreeNode[] }]));
  const roots: TreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.agent.parentId ? nodes.get(node.agent.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

function render(nodes: TreeNode[], prefix: string, lines: string[]): void {
  nodes.forEach((node, i) => {
    const last = i === nodes.length - 1;
    const { agent } = node;
    lines.push(
      `${prefix}${last ? "└─ " : "├─ "}${agent.name} ${dim(agent.id)} ${status(agent.status)} ${dim(money(agent.cost.amount, "USD"))}`,
    );
    render(node.children, `${prefix}${last ? "   " : "│  "}`, lines);
  });
}

export function renderTree(swarms: SwarmResponse[], agents: AgentResponse[]): string {
  if (swarms.length === 0) return dim("No swarms.");
  const lines: string[] = [];
  for (const swarm of swarms) {
    lines.push(`${bold(swarm.name)} ${dim(swarm.id)} ${status(swarm.status)}`);
    render(buildTree(agents.filter((a) => a.swarmId === swarm.id)), "", lines);
  }
  return lines.join("\n");
}

export default defineCommand({
  meta: { name: "tree", description: "Show swarms and their agents by parent" },
  args: { swarm: { type: "string", description: "Only this swarm" }, ...clientArgs },
  async run({ args }) {
    const client = clientFor(args);
    const swarms = args.swarm ? [await client.getSwarm(args.swarm)] : (await client.listSwarms()).swarms;
    const agents = await client.allAgents(args.swarm ? { swarmId: args.swarm } : {});
    const tree = swarms.map((swarm) => ({
      ...swarm,
      agents: buildTree(agents.filter((a) => a.swarmId === swarm.id)),
    }));
    output(args, { swarms: tree }, () => renderTree(swarms, agents));
  },
});
