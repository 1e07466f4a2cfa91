import { AGENT_COLUMNS, type AgentTableQuery } from "../../dashboard/model/agent-table.ts";
import { cycle, stepSelection } from "../../dashboard/model/selection.ts";
import type { AgentResponse } from "../../domain/agent.ts";
import type { SwarmResponse } from "../../domain/swarm.ts";
import { WEB_VIEWS, type WebView } from "../components/nav-tabs.tsx";
import type { Handlers } from "./use-handlers.ts";
import { useShortcuts } from "./use-shortcuts.ts";

export interface PageKeys {
  tab: WebView;
  rows: readonly AgentResponse[];
  selectedId: string | null;
  openId: string | null;
  handlers: Handlers | null;
  agentsById: ReadonlyMap<string, AgentResponse>;
  swarms: readonly SwarmResponse[];
  query: AgentTableQuery;
  setTab: (tab: WebView) => void;
  setQuery: (query: AgentTableQuery) => void;
  setSelectedId: (id: string | null) => void;
  setOpenId: (id: string | null) => void;
  setHelp: (open: boolean) => void;
  refresh: () => void;
}

/** The page's keys (see the help dialog), as the terminal dashboard has them where they make sense. */
export function usePageKeys(keys: PageKeys): void {
  const { tab, rows, selectedId, handlers, query } = keys;
  const ids = rows.map((a) => a.id);
  const selected = selectedId ? keys.agentsById.get(selectedId) : undefined;
  const move = (step: number) => {
    if (tab !== "agents") return;
    keys.setSelectedId(stepSelection(ids, selectedId, step));
  };
  const focus = (id: string) => document.getElementById(id)?.focus();
  const swarmIds = [null, ...keys.swarms.map((s) => s.id)];
  const shortcuts = new Map<string, () => void>([
    ["j", () => move(1)],
    ["ArrowDown", () => move(1)],
    ["k", () => move(-1)],
    ["ArrowUp", () => move(-1)],
    ["g", () => move(Number.NEGATIVE_INFINITY)],
    ["G", () => move(Number.POSITIVE_INFINITY)],
    ["Enter", () => tab === "agents" && selectedId && keys.setOpenId(selectedId)],
    ["Escape", () => keys.setOpenId(null)],
    [
      "/",
      () => {
        if (tab === "events") return focus("event-search");
        keys.setTab("agents");
        // The filter is drawn with the agents view: focus it once it is there.
        requestAnimationFrame(() => focus("agent-filter"));
      },
    ],
    [
      "s",
      () => keys.setQuery({ ...query, sortBy: cycle(AGENT_COLUMNS, query.sortBy, 1), descending: false }),
    ],
    ["[", () => keys.setQuery({ ...query, swarmId: cycle(swarmIds, query.swarmId, -1) })],
    ["]", () => keys.setQuery({ ...query, swarmId: cycle(swarmIds, query.swarmId, 1) })],
    ["x", () => selected && handlers?.agent.kill(selected)],
    ["p", () => selected?.status === "running" && handlers?.agent.pause(selected)],
    ["u", () => selected?.status === "paused" && handlers?.agent.resume(selected)],
    ["A", () => keys.setTab("approvals")],
    ["r", () => keys.refresh()],
    ["?", () => keys.setHelp(true)],
  ]);
  WEB_VIEWS.forEach((view, i) => {
    shortcuts.set(String(i + 1), () => keys.setTab(view));
  });
  useShortcuts(shortcuts);
}
