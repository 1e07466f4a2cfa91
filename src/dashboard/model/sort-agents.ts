import type { AgentResponse } from "../../domain/agent.ts";
import type { SortBy } from "../keybindings.ts";

/** Live work first when sorting by status: what an operator watches. */
export const STATUS_ORDER = ["running", "spawning", "paused", "idle", "failed", "killed", "completed"];

const byName = (a: AgentResponse, b: AgentResponse) =>
  a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

/** The grid's rows: one swarm's agents (or all), sorted; ties keep a stable order by name. */
export function sortAgents(
  agents: readonly AgentResponse[],
  sortBy: SortBy,
  swarmId: string | null = null,
): AgentResponse[] {
  const shown = swarmId === null ? [...agents] : agents.filter((a) => a.swarmId === swarmId);
  if (sortBy === "status") {
    return shown.sort(
      (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || byName(a, b),
    );
  }
  if (sortBy === "cost") return shown.sort((a, b) => b.cost.amount - a.cost.amount || byName(a, b));
  return shown.sort(byName);
}

/**
 * The first row to draw so the selected row stays in view, moving the window only when the
 * selection leaves it (as k9s and less do), so rows do not jump under the cursor.
 */
export function windowStart(previous: number, selected: number, visible: number, total: number): number {
  if (visible <= 0 || total <= visible) return 0;
  let start = Math.min(Math.max(0, previous), total - visible);
  if (selected >= 0 && selected < start) start = selected;
  if (selected >= start + visible) start = selected - visible + 1;
  return start;
}
