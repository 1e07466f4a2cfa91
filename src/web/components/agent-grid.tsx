/** @jsxImportSource react */
import { memo } from "react";
import { money } from "../../dashboard/model/format.ts";
import { sortAgents } from "../../dashboard/model/sort-agents.ts";
import type { AgentResponse } from "../../domain/agent.ts";
import type { SwarmResponse } from "../../domain/swarm.ts";

export interface AgentGridProps {
  agents: readonly AgentResponse[];
  swarms: ReadonlyMap<string, SwarmResponse>;
}

/** The agent grid: live work first (the terminal dashboard's status order), then by name. */
export function AgentGrid({ agents, swarms }: AgentGridProps) {
  const rows = sortAgents(agents, "status");
  if (rows.length === 0) return <p className="empty">No agents yet.</p>;
  return (
    <table className="grid">
      <caption>Agents {rows.length}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Swarm</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col" className="num">
            Cost
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((agent) => (
          <AgentRow key={agent.id} agent={agent} swarm={swarms.get(agent.swarmId)?.name ?? "-"} />
        ))}
      </tbody>
    </table>
  );
}

function AgentRowView({ agent, swarm }: { agent: AgentResponse; swarm: string }) {
  const percent = Math.round(agent.progress.percentage);
  return (
    <tr data-agent-id={agent.id} data-status={agent.status}>
      <td className="name">{agent.name}</td>
      <td>{swarm}</td>
      <td>
        <span className={`status status-${agent.status}`}>{agent.status}</span>
      </td>
      <td className="progress">
        {agent.progress.total > 0 ? (
          <span className="bar">
            <progress max={100} value={percent} aria-label={`${agent.name} progress`} />
            <span>{percent}%</span>
          </span>
        ) : (
          "-"
        )}
      </td>
      <td className="num">{money(agent.cost.amount)}</td>
    </tr>
  );
}

/** A row re-renders only when its agent's version (or its swarm's name) changed. */
const AgentRow = memo(
  AgentRowView,
  (prev, next) => prev.agent.version === next.agent.version && prev.swarm === next.swarm,
);
