import type { AgentResponse } from "../../domain/agent.ts";

export interface TreeNode {
  agent: AgentResponse;
  children: TreeNode[];
}

/**
 * Agents nested under their parents (a tree swarm's children, a pipeline's stages in order), each
 * level in creation order; an agent whose parent is missing is a root. `dash tree` and the web
 * dashboard's swarm view draw the same tree.
 */
export function buildTree(agents: readonly AgentResponse[]): TreeNode[] {
  const ordered = [...agents].sort(
    (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
  );
  const nodes = new Map(ordered.map((agent) => [agent.id, { agent, children: [] as TreeNode[] }]));
  const roots: TreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.agent.parentId ? nodes.get(node.agent.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

/** The tree as rows in drawing order, each with its depth: what a list of rows can show. */
export function flattenTree(
  nodes: readonly TreeNode[],
  depth = 0,
): { agent: AgentResponse; depth: number }[] {
  return nodes.flatMap((node) => [{ agent: node.agent, depth }, ...flattenTree(node.children, depth + 1)]);
}
