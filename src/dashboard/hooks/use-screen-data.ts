import { useMemo } from "react";
import type { AgentResponse } from "../../domain/agent.ts";
import { eventText } from "../components/event-stream.tsx";
import type { UiState } from "../keybindings.ts";
import { describeEvent, type EventLine } from "../model/describe-event.ts";
import { sortAgents } from "../model/sort-agents.ts";
import type { DashboardView } from "../model/store.ts";
import { useNames } from "./use-names.ts";

export interface ScreenData {
  /** The grid's rows: the chosen swarm's agents (or all), sorted. */
  rows: AgentResponse[];
  ids: string[];
  lines: EventLine[];
  /** Indexes into `lines` that match the search being typed or the committed one. */
  matches: number[];
  swarmIds: string[];
  agentsPerSwarm: Map<string, number>;
  swarmNames: Map<string, string>;
}

/** What the panels show, derived from the store's view and the UI state, each part memoized. */
export function useScreenData(view: DashboardView, ui: UiState): ScreenData {
  const rows = useMemo(
    () => sortAgents(view.agents, ui.sortBy, ui.swarmId),
    [view.agents, ui.sortBy, ui.swarmId],
  );
  const ids = useMemo(() => rows.map((a) => a.id), [rows]);
  const names = useNames(view);
  const lines = useMemo(() => view.events.map((e) => describeEvent(e, names)), [view.events, names]);
  const query = (ui.draft ?? ui.search).toLowerCase();
  const matches = useMemo(
    () => (query ? lines.flatMap((l, i) => (eventText(l).toLowerCase().includes(query) ? [i] : [])) : []),
    [lines, query],
  );
  const swarmIds = useMemo(() => view.swarms.map((s) => s.id), [view.swarms]);
  const swarmNames = useMemo(() => new Map(view.swarms.map((s) => [s.id, s.name])), [view.swarms]);
  const agentsPerSwarm = useMemo(() => {
    const map = new Map<string, number>();
    for (const a of view.agents) map.set(a.swarmId, (map.get(a.swarmId) ?? 0) + 1);
    return map;
  }, [view.agents]);
  return { rows, ids, lines, matches, swarmIds, agentsPerSwarm, swarmNames };
}
