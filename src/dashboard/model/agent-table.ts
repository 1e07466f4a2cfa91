import type { AgentResponse } from "../../domain/agent.ts";
import type { SwarmResponse } from "../../domain/swarm.ts";
import { STATUS_ORDER } from "./sort-agents.ts";

/** The web grid's columns, each of which sorts it (click its header, or `s` to cycle). */
export const AGENT_COLUMNS = ["name", "swarm", "status", "progress", "cost", "updated"] as const;
export type AgentColumn = (typeof AGENT_COLUMNS)[number];

export interface AgentTableQuery {
  sortBy: AgentColumn;
  descending: boolean;
  /** Words that must all appear in the agent's name, id, status, swarm, task or model (any case). */
  filter: string;
  /** Only agents in this status (null: every status). */
  status: string | null;
  /** Only this swarm's agents (null: every swarm). */
  swarmId: string | null;
}

export const DEFAULT_TABLE_QUERY: AgentTableQuery = {
  sortBy: "status",
  descending: false,
  filter: "",
  status: null,
  swarmId: null,
};

type Names = ReadonlyMap<string, SwarmResponse>;

const text = (a: string, b: string) => a.localeCompare(b);

function compareBy(column: AgentColumn, swarms: Names): (a: AgentResponse, b: AgentResponse) => number {
  switch (column) {
    case "name":
      return (a, b) => text(a.name, b.name);
    case "swarm":
      return (a, b) => text(swarms.get(a.swarmId)?.name ?? "", swarms.get(b.swarmId)?.name ?? "");
    case "status":
      return (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status);
    case "progress":
      return (a, b) => a.progress.percentage - b.progress.percentage;
    case "cost":
      return (a, b) => a.cost.amount - b.cost.amount;
    case "updated":
      return (a, b) => text(a.updatedAt, b.updatedAt);
  }
}

/** What one agent is searched by: lower case, once per agent version. */
function haystack(agent: AgentResponse, swarms: Names): string {
  const swarm = swarms.get(agent.swarmId)?.name ?? "";
  return `${agent.name} ${agent.id} ${agent.status} ${swarm} ${agent.task} ${agent.model}`.toLowerCase();
}

/**
 * The grid's rows: filtered by swarm, status and words, then sorted by the column (ties by name,
 * then id, so rows never swap places between two equal renders). Descending reverses the column's
 * order only, not the tie-break.
 */
export function agentRows(
  agents: readonly AgentResponse[],
  swarms: Names,
  query: AgentTableQuery,
): AgentResponse[] {
  const words = query.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = agents.filter(
    (a) =>
      (query.swarmId === null || a.swarmId === query.swarmId) &&
      (query.status === null || a.status === query.status) &&
      (words.length === 0 || words.every((w) => haystack(a, swarms).includes(w))),
  );
  const compare = compareBy(query.sortBy, swarms);
  const sign = query.descending ? -1 : 1;
  return shown.sort((a, b) => sign * compare(a, b) || text(a.name, b.name) || text(a.id, b.id));
}

/** Clicking a column's header: that column ascending, or the other way round when it already sorts. */
export function sortOn(query: AgentTableQuery, column: AgentColumn): AgentTableQuery {
  if (query.sortBy === column) return { ...query, descending: !query.descending };
  return { ...query, sortBy: column, descending: column === "cost" || column === "updated" };
}
