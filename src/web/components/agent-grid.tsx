/** @jsxImportSource react */
import { memo } from "react";
import type { AgentColumn, AgentTableQuery } from "../../dashboard/model/agent-table.ts";
import { money } from "../../dashboard/model/format.ts";
import type { AgentResponse } from "../../domain/agent.ts";
import type { SwarmResponse } from "../../domain/swarm.ts";
import { useScrollWindow } from "../hooks/use-scroll-window.ts";

/** Every row is this tall (styles.css says the same), so the window can be computed, not measured. */
export const ROW_HEIGHT = 32;

const HEADERS: readonly [AgentColumn, string][] = [
  ["name", "Name"],
  ["swarm", "Swarm"],
  ["status", "Status"],
  ["progress", "Progress"],
  ["cost", "Cost"],
];

export interface AgentGridProps {
  rows: readonly AgentResponse[];
  swarms: ReadonlyMap<string, SwarmResponse>;
  query: AgentTableQuery;
  selectedId: string | null;
  onSort: (column: AgentColumn) => void;
  onSelect: (id: string) => void;
  onOpen: (id: string) => void;
}

/**
 * The agent grid: sortable by each column, virtualised (only the rows in view are in the page), a
 * selected row that j/k move and Enter or a click opens.
 */
export function AgentGrid({ rows, swarms, query, selectedId, onSort, onSelect, onOpen }: AgentGridProps) {
  const selected = selectedId === null ? -1 : rows.findIndex((a) => a.id === selectedId);
  const { ref, window } = useScrollWindow(rows.length, ROW_HEIGHT, selected);
  const shown = rows.slice(window.start, window.end);
  // The scroller is always there (empty or not): its scroll and size listeners are set up once.
  return (
    <div className="grid-scroll" ref={ref} data-rows={rows.length}>
      {rows.length === 0 ? <p className="empty">No agents match.</p> : null}
      <table hidden={rows.length === 0} className="grid" aria-rowcount={rows.length + 1}>
        <thead>
          <tr>
            {HEADERS.map(([column, label]) => (
              <th
                key={column}
                scope="col"
                className={`col-${column}`}
                aria-sort={query.sortBy !== column ? "none" : query.descending ? "descending" : "ascending"}
              >
                <button type="button" onClick={() => onSort(column)}>
                  {label}
                  {query.sortBy === column ? (query.descending ? " ▼" : " ▲") : ""}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {window.before > 0 ? <Spacer height={window.before} /> : null}
          {shown.map((agent, i) => (
            <AgentRow
              key={agent.id}
              agent={agent}
              index={window.start + i}
              swarm={swarms.get(agent.swarmId)?.name ?? "-"}
              selected={agent.id === selectedId}
              onSelect={onSelect}
              onOpen={onOpen}
            />
          ))}
          {window.after > 0 ? <Spacer height={window.after} /> : null}
        </tbody>
      </table>
    </div>
  );
}

function Spacer({ height }: { height: number }) {
  return (
    <tr className="spacer" style={{ height }}>
      <td colSpan={HEADERS.length} />
    </tr>
  );
}

interface AgentRowProps {
  agent: AgentResponse;
  index: number;
  swarm: string;
  selected: boolean;
  onSelect: (id: string) => void;
  onOpen: (id: string) => void;
}

function AgentRowView({ agent, index, swarm, selected, onSelect, onOpen }: AgentRowProps) {
  const percent = Math.round(agent.progress.percentage);
  return (
    <tr
      data-agent-id={agent.id}
      data-status={agent.status}
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={selected ? "selected" : undefined}
      onClick={() => onSelect(agent.id)}
      onDoubleClick={() => onOpen(agent.id)}
    >
      <td className="name">
        <button type="button" className="link" onClick={() => onOpen(agent.id)} title={agent.task}>
          {agent.name}
        </button>
      </td>
      <td className="col-swarm">{swarm}</td>
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

/** A row re-renders only when its agent's version, its swarm's name or its selection changed. */
const AgentRow = memo(
  AgentRowView,
  (prev, next) =>
    prev.agent.version === next.agent.version &&
    prev.swarm === next.swarm &&
    prev.selected === next.selected &&
    prev.index === next.index &&
    prev.onSelect === next.onSelect &&
    prev.onOpen === next.onOpen,
);
