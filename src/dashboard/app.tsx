import { useKeyboard, useTerminalDimensions } from "@opentui/react";
import { type ReactNode, useCallback, useMemo, useRef, useState } from "react";
import { FINISHED_AGENT_STATUSES } from "../domain/states.ts";
import { AgentDetails } from "./components/agent-details.tsx";
import { AgentGrid } from "./components/agent-grid.tsx";
import { BudgetPanel } from "./components/budget-panel.tsx";
import { ConfirmDialog } from "./components/confirm-dialog.tsx";
import { EventStream, eventText } from "./components/event-stream.tsx";
import { Header } from "./components/header.tsx";
import { HelpOverlay } from "./components/help-overlay.tsx";
import { SettingsView } from "./components/settings-view.tsx";
import { StatusBar } from "./components/status-bar.tsx";
import { SwarmSelector } from "./components/swarm-selector.tsx";
import { useDashboardView } from "./hooks/use-dashboard-view.ts";
import { type LogReader, useLogTail } from "./hooks/use-log-tail.ts";
import { INITIAL_UI, type KeyContext, onKey, type SortBy, type UiState } from "./keybindings.ts";
import { layoutFor } from "./layout.ts";
import { describeEvent } from "./model/describe-event.ts";
import { sortAgents } from "./model/sort-agents.ts";
import type { DashboardStore } from "./model/store.ts";
import { COLORS } from "./theme.ts";

/** What the dashboard asks of the server besides the feed: the feed implements it. */
export interface DashboardActions {
  kill: (agentId: string) => Promise<void>;
  refresh: () => Promise<void>;
  readLog: LogReader;
}

export interface AppProps {
  store: DashboardStore;
  actions: DashboardActions;
  info: { url: string; keySource: string; version: string; batchMs: number };
  onQuit: () => void;
  /** How often the details view polls the log (tests shorten it). */
  logEveryMs?: number;
}

/** The dashboard (PRD §4.1): header, swarm tabs, the view's panels, budget panel, status bar. */
export function App({ store, actions, info, onQuit, logEveryMs }: AppProps) {
  const view = useDashboardView(store);
  const { width, height } = useTerminalDimensions();
  const [state, setState] = useState<UiState>(INITIAL_UI);
  // Keys can arrive faster than React renders (a paste, tmux send-keys): each one must see the
  // state the previous one left, so the latest state lives in a ref and renders follow it.
  const latest = useRef(state);
  const setUi = useCallback((change: (ui: UiState) => UiState) => {
    latest.current = change(latest.current);
    setState(latest.current);
  }, []);

  const rows = useMemo(
    () => sortAgents(view.agents, state.sortBy, state.swarmId),
    [view.agents, state.sortBy, state.swarmId],
  );
  const ids = useMemo(() => rows.map((a) => a.id), [rows]);
  const selectedId =
    state.selectedId !== null && ids.includes(state.selectedId) ? state.selectedId : (ids[0] ?? null);
  const ui = { ...state, selectedId };
  const selected = selectedId ? (view.agentsById.get(selectedId) ?? null) : null;

  const lines = useMemo(() => {
    const names = (id: string) => view.agentsById.get(id)?.name ?? view.swarmsById.get(id)?.name;
    return view.events.map((e) => describeEvent(e, names));
  }, [view.events, view.agentsById, view.swarmsById]);
  const query = (ui.draft ?? ui.search).toLowerCase();
  const matches = useMemo(
    () => (query ? lines.flatMap((l, i) => (eventText(l).toLowerCase().includes(query) ? [i] : [])) : []),
    [lines, query],
  );
  const swarmIds = useMemo(() => view.swarms.map((s) => s.id), [view.swarms]);
  const counts = useMemo(() => {
    const map = new Map<string, number>();
    for (const a of view.agents) map.set(a.swarmId, (map.get(a.swarmId) ?? 0) + 1);
    return map;
  }, [view.agents]);

  const context: KeyContext = {
    agentIds: ids,
    swarmIds,
    eventIds: lines.map((l) => l.id),
    matches,
    whyNotKill: (id) => {
      const agent = view.agentsById.get(id);
      return agent && FINISHED_AGENT_STATUSES.has(agent.status)
        ? `${agent.name} has already ${agent.status}`
        : null;
    },
  };
  useKeyboard((key) => {
    const now = latest.current;
    const current = now.selectedId !== null && ids.includes(now.selectedId) ? now : { ...now, selectedId };
    const result = onKey(current, key, context);
    setUi(() => result.ui);
    const effect = result.effect;
    if (effect?.type === "quit") onQuit();
    if (effect?.type === "kill") void actions.kill(effect.agentId);
    if (effect?.type === "notice") store.setNotice(effect.text);
    if (effect?.type === "refresh") {
      actions.refresh().then(
        () => store.setNotice("refreshed"),
        (error: Error) => store.setNotice(`refresh failed: ${error.message}`),
      );
    }
  });
  const select = useCallback((id: string) => setUi((u) => ({ ...u, selectedId: id })), [setUi]);
  const sort = useCallback((sortBy: SortBy) => setUi((u) => ({ ...u, sortBy })), [setUi]);

  const layout = layoutFor(width, height, ui.view);
  const log = useLogTail(actions.readLog, selectedId, layout.details !== undefined, logEveryMs);
  const budgetTotal = view.budgets?.totals.find((t) => t.currency === "USD");
  const swarmNames = useMemo(() => new Map(view.swarms.map((s) => [s.id, s.name])), [view.swarms]);
  const panel = (title: string, children: ReactNode, grow = 1, w?: number, h?: number) => (
    <box
      border
      borderStyle="rounded"
      borderColor={COLORS.border}
      title={` ${title} `}
      flexGrow={grow}
      flexShrink={0}
      width={w}
      height={h}
    >
      {children}
    </box>
  );
  const gridPanel =
    layout.grid &&
    panel(
      `Agents ${rows.length}`,
      <AgentGrid
        agents={rows}
        selectedId={selectedId}
        sortBy={ui.sortBy}
        {...layout.grid}
        onSelect={select}
        onSort={sort}
      />,
      0,
      layout.grid.width + 2,
    );
  const detailsPanel =
    layout.details &&
    panel(
      "Details",
      <AgentDetails
        agent={selected}
        swarmName={selected ? (swarmNames.get(selected.swarmId) ?? null) : null}
        parent={selected?.parentId ? (view.agentsById.get(selected.parentId) ?? null) : null}
        kids={selected ? view.agents.filter((a) => a.parentId === selected.id) : []}
        log={log}
        {...layout.details}
      />,
    );
  const eventsPanel =
    layout.events &&
    panel(
      `Events ${lines.length}${ui.autoScroll ? "" : " (paused: a follows)"}`,
      <EventStream
        lines={lines}
        {...layout.events}
        autoScroll={ui.autoScroll}
        cursorId={ui.eventId}
        search={ui.draft ?? ui.search}
      />,
    );
  const main =
    layout.wide && layout.grid ? (
      <box flexDirection="row" height={layout.mainHeight}>
        {gridPanel}
        <box flexDirection="column" flexGrow={1}>
          {detailsPanel}
          {eventsPanel}
        </box>
      </box>
    ) : (
      <box flexDirection="column" height={layout.mainHeight}>
        {gridPanel}
        {detailsPanel}
        {eventsPanel}
        {layout.settings &&
          panel(
            "Settings",
            <SettingsView {...info} agents={view.agents.length} events={view.events.length} />,
          )}
      </box>
    );
  return (
    <box flexDirection="column" width={width} height={height}>
      <Header
        agents={view.agents.length}
        running={view.agents.filter((a) => a.status === "running").length}
        swarms={view.swarms.length}
        spent={budgetTotal?.spent ?? view.agents.reduce((s, a) => s + a.cost.amount, 0)}
        allocated={budgetTotal?.allocated ?? 0}
        connection={view.connection}
      />
      <SwarmSelector swarms={view.swarms} selectedId={ui.swarmId} agentCounts={counts} />
      {main}
      {panel(
        "Budget",
        <BudgetPanel
          budgets={view.budgets}
          names={swarmNames}
          history={view.spend}
          width={width - 2}
          swarmRows={layout.budgetSwarmRows}
        />,
        0,
        undefined,
        layout.budgetSwarmRows + 4,
      )}
      <StatusBar
        view={ui.view}
        sortBy={ui.sortBy}
        autoScroll={ui.autoScroll}
        draft={ui.draft}
        search={ui.search}
        matches={matches.length}
        notice={view.notice}
        lastUpdate={view.lastUpdate}
        width={width}
      />
      {ui.help ? <HelpOverlay /> : null}
      {ui.confirmKill ? (
        <ConfirmDialog
          question={`Kill agent ${view.agentsById.get(ui.confirmKill)?.name ?? ui.confirmKill}?`}
        />
      ) : null}
    </box>
  );
}
