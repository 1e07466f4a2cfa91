import { memo } from "react";
import type { AgentResponse } from "../../domain/agent.ts";
import { failureLine } from "../../domain/agent-failure.ts";
import { blockBar, fit, fitRight, money, shortId } from "../model/format.ts";
import { COLORS, statusColor } from "../theme.ts";
import type { GridColumns } from "./grid-columns.ts";

export interface AgentRowProps {
  agent: AgentResponse;
  selected: boolean;
  columns: GridColumns;
  onSelect: (id: string) => void;
}

function AgentRowView({ agent, selected, columns: c, onSelect }: AgentRowProps) {
  const percent = agent.progress.percentage;
  const reason = agent.status === "failed" ? failureLine(agent)?.split("\n")[0] : null;
  const progress =
    agent.progress.total > 0
      ? `${blockBar(percent, c.progress - 6)}${fitRight(`${Math.round(percent)}%`, 5)}`
      : "-";
  return (
    <text bg={selected ? COLORS.selected : undefined} onMouseDown={() => onSelect(agent.id)}>
      {c.id > 0 ? <span fg={COLORS.dim}>{fit(shortId(agent.id), c.id)} </span> : null}
      <span fg={COLORS.text}>{fit(agent.name, c.name)} </span>
      <span fg={statusColor(agent.status)}>{fit(agent.status.toUpperCase(), c.status)} </span>
      {/* A failed agent's task cell says why it failed instead: its row explains itself. */}
      {reason ? (
        <span fg={COLORS.error}>{fit(reason, c.task)} </span>
      ) : (
        <span fg={COLORS.text}>{fit(agent.task || "-", c.task)} </span>
      )}
      <span fg={COLORS.accent}>{fit(progress, c.progress)} </span>
      <span fg={COLORS.text}>{fitRight(money(agent.cost.amount), c.cost)}</span>
    </text>
  );
}

/** A grid row: redrawn only when its agent's version, its selection or the column widths change. */
export const AgentRow = memo(
  AgentRowView,
  (prev, next) =>
    prev.agent.id === next.agent.id &&
    prev.agent.version === next.agent.version &&
    prev.selected === next.selected &&
    prev.columns === next.columns,
);
