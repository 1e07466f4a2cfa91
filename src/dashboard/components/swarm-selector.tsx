import type { SwarmResponse } from "../../domain/swarm.ts";
import { COLORS, statusColor } from "../theme.ts";

export interface SwarmSelectorProps {
  swarms: readonly SwarmResponse[];
  /** null: all swarms. */
  selectedId: string | null;
  agentCounts: ReadonlyMap<string, number>;
}

/** One line of swarm tabs; `[` and `]` move between them. */
export function SwarmSelector({ swarms, selectedId, agentCounts }: SwarmSelectorProps) {
  const total = [...agentCounts.values()].reduce((a, b) => a + b, 0);
  const tab = (key: string, label: string, selected: boolean, color: string) => (
    <span key={key} fg={selected ? COLORS.text : color} bg={selected ? COLORS.selected : undefined}>
      {` ${label} `}
    </span>
  );
  return (
    <text height={1}>
      <span fg={COLORS.dim}>swarm [ ] </span>
      {tab("all", `all (${total})`, selectedId === null, COLORS.text)}
      {swarms.map((s) =>
        tab(s.id, `${s.name} (${agentCounts.get(s.id) ?? 0})`, s.id === selectedId, statusColor(s.status)),
      )}
    </text>
  );
}
