import { defineCommand } from "citty";
import { buildTree, type TreeNode } from "../dashboard/model/agent-tree.ts";
import type { AgentResponse } from "../domain/agent.ts";
import type { SwarmResponse } from "../domain/swarm.ts";
import { clientArgs, clientFor, money, output, status } from "./common.ts";
import { bold, dim } from "./style.ts";

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
