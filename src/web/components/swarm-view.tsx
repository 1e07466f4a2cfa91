/** @jsxImportSource react */
import { memo, useState } from "react";
import { buildTree, flattenTree } from "../../dashboard/model/agent-tree.ts";
import { money } from "../../dashboard/model/format.ts";
import type { AgentResponse } from "../../domain/agent.ts";
import { FINISHED_SWARM_STATUSES } from "../../domain/states.ts";
import type { SwarmResponse } from "../../domain/swarm.ts";
import { ActionButton } from "./action-button.tsx";

export interface SwarmActionHandlers {
  pause: (swarm: SwarmResponse) => void;
  resume: (swarm: SwarmResponse) => void;
  scale: (swarm: SwarmResponse, target: number) => void;
  /** These two ask first. */
  destroy: (swarm: SwarmResponse) => void;
  merge: (swarm: SwarmResponse) => void;
}

export interface SwarmViewProps {
  swarms: readonly SwarmResponse[];
  agents: readonly AgentResponse[];
  actions: SwarmActionHandlers | null;
  onOpenAgent: (id: string) => void;
}

/** Live swarms first, then the newest. */
const order = (a: SwarmResponse, b: SwarmResponse) =>
  Number(FINISHED_SWARM_STATUSES.has(a.status)) - Number(FINISHED_SWARM_STATUSES.has(b.status)) ||
  b.createdAt.localeCompare(a.createdAt);

/** Every swarm with its agents as a tree: parent → children, a pipeline's stages, map then reduce. */
export function SwarmView({ swarms, agents, actions, onOpenAgent }: SwarmViewProps) {
  if (swarms.length === 0) return <p className="empty">No swarms yet.</p>;
  const bySwarm = new Map<string, AgentResponse[]>();
  for (const agent of agents) bySwarm.set(agent.swarmId, [...(bySwarm.get(agent.swarmId) ?? []), agent]);
  return (
    <div className="swarms">
      {[...swarms].sort(order).map((swarm) => (
        <SwarmCard
          key={swarm.id}
          swarm={swarm}
          agents={bySwarm.get(swarm.id) ?? []}
          actions={actions}
          onOpenAgent={onOpenAgent}
        />
      ))}
    </div>
  );
}

interface SwarmCardProps {
  swarm: SwarmResponse;
  agents: readonly AgentResponse[];
  actions: SwarmActionHandlers | null;
  onOpenAgent: (id: string) => void;
}

const SwarmCard = memo(function SwarmCard({ swarm, agents, actions, onOpenAgent }: SwarmCardProps) {
  const rows = flattenTree(buildTree(agents));
  const { budget } = swarm;
  return (
    <section
      className="swarm"
      data-swarm-id={swarm.id}
      data-status={swarm.status}
      aria-label={`swarm ${swarm.name}`}
    >
      <header>
        <h2>{swarm.name}</h2>
        <span className={`status status-${swarm.status}`}>{swarm.status}</span>
        <span className="dim">
          {swarm.strategy} · {swarm.agentCount} agents · {money(budget.spent)} / {money(budget.allocated)}
        </span>
      </header>
      {actions ? <SwarmActions swarm={swarm} handlers={actions} /> : null}
      <ul className="tree" aria-label={`agents of ${swarm.name}`}>
        {rows.map(({ agent, depth }) => (
          <li
            key={agent.id}
            data-agent-id={agent.id}
            data-depth={depth}
            className={`depth-${Math.min(depth, 6)}`}
          >
            <button type="button" className="link" onClick={() => onOpenAgent(agent.id)}>
              {depth > 0 ? "└ " : ""}
              {agent.name}
            </button>{" "}
            <span className="dim">{agent.role}</span>{" "}
            <span className={`status status-${agent.status}`}>{agent.status}</span>{" "}
            <span className="dim">{money(agent.cost.amount)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
});

function SwarmActions({ swarm, handlers }: { swarm: SwarmResponse; handlers: SwarmActionHandlers }) {
  const [target, setTarget] = useState(String(swarm.agentCount));
  const finished = FINISHED_SWARM_STATUSES.has(swarm.status);
  return (
    <div className="actions" role="toolbar" aria-label={`actions on ${swarm.name}`}>
      {swarm.status === "active" ? (
        <ActionButton action="pause-swarm" onClick={() => handlers.pause(swarm)}>
          Pause
        </ActionButton>
      ) : null}
      {swarm.status === "paused" ? (
        <ActionButton action="resume-swarm" onClick={() => handlers.resume(swarm)}>
          Resume
        </ActionButton>
      ) : null}
      {swarm.status === "active" ? (
        <form
          className="scale"
          onSubmit={(event) => {
            event.preventDefault();
            handlers.scale(swarm, Number(target));
          }}
        >
          <label>
            <span className="label">agents</span>
            <input
              type="number"
              min={0}
              max={100}
              value={target}
              onChange={(event) => setTarget(event.target.value)}
              aria-label={`scale ${swarm.name} to`}
            />
          </label>
          <button type="submit" data-action="scale">
            Scale
          </button>
        </form>
      ) : null}
      {swarm.status === "completed" ? (
        <ActionButton action="merge" onClick={() => handlers.merge(swarm)}>
          Merge branches
        </ActionButton>
      ) : null}
      {finished ? null : (
        <ActionButton action="destroy" tone="danger" onClick={() => handlers.destroy(swarm)}>
          Destroy
        </ActionButton>
      )}
    </div>
  );
}
