import { useMemo, useRef } from "react";
import type { AgentResponse } from "../../domain/agent.ts";
import type { SortBy } from "../keybindings.ts";
import { fit } from "../model/format.ts";
import { windowStart } from "../model/sort-agents.ts";
import { COLORS } from "../theme.ts";
import { AgentRow } from "./agent-row.tsx";
import { gridColumns } from "./grid-columns.ts";

export interface AgentGridProps {
  /** Already filtered and sorted. */
  agents: readonly AgentResponse[];
  selectedId: string | null;
  sortBy: SortBy;
  /** Inner size: columns for the text, rows for the header plus the agents. */
  width: number;
  height: number;
  onSelect: (id: string) => void;
  onSort: (sortBy: SortBy) => void;
}

/**
 * The agents table. Only the rows that fit are rendered (virtual scrolling): 1,000 agents cost
 * as much to draw as the 20 on screen.
 */
export function AgentGrid({ agents, selectedId, sortBy, width, height, onSelect, onSort }: AgentGridProps) {
  const columns = useMemo(() => gridColumns(width), [width]);
  const visible = Math.max(0, height - 1);
  const selected = selectedId === null ? -1 : agents.findIndex((a) => a.id === selectedId);
  const start = useRef(0);
  start.current = windowStart(start.current, selected, visible, agents.length);
  const rows = agents.slice(start.current, start.current + visible);
  // Each header cell is its own text so a click on NAME, STATUS or COST sorts by it.
  const head = (label: string, w: number, key?: SortBy) => (
    <text
      width={w + 1}
      fg={key === sortBy ? COLORS.accent : COLORS.dim}
      onMouseDown={key ? () => onSort(key) : undefined}
    >
      {fit(key === sortBy ? `${label}▼` : label, w)}
    </text>
  );
  return (
    <box flexDirection="column" width={width} height={height}>
      <box flexDirection="row" height={1}>
        {columns.id > 0 ? head("ID", columns.id) : null}
        {head("NAME", columns.name, "name")}
        {head("STATUS", columns.status, "status")}
        {head("TASK", columns.task)}
        {head("PROGRESS", columns.progress)}
        {head("COST", columns.cost, "cost")}
      </box>
      {rows.map((agent) => (
        <AgentRow
          key={agent.id}
          agent={agent}
          selected={agent.id === selectedId}
          columns={columns}
          onSelect={onSelect}
        />
      ))}
      {agents.length === 0 ? (
        <text fg={COLORS.dim}>No agents yet. Create a swarm: dash swarm create …</text>
      ) : null}
    </box>
  );
}
