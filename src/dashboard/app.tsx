import { useKeyboard, useTerminalDimensions } from "@opentui/react";
import { useCallback, useEffect, useRef, useState } from "react";
import { FINISHED_AGENT_STATUSES } from "../domain/states.ts";
import { AgentDetails } from "./components/agent-details.tsx";
import { AgentGrid } from "./components/agent-grid.tsx";
import { ApprovalsView } from "./components/approvals-view.tsx";
import { BudgetPanel } from "./components/budget-panel.tsx";
import { ConfirmDialog } from "./components/confirm-dialog.tsx";
import { EventStream } from "./components/event-stream.tsx";
import { Header } from "./components/header.tsx";
import { HelpOverlay } from "./components/help-overlay.tsx";
import { Panel } from "./components/panel.tsx";
import { SettingsView } from "./components/settings-view.tsx";
import { StatusBar } from "./components/status-bar.tsx";
import { SwarmSelector } from "./components/swarm-selector.tsx";
import { type DashboardActions, perform } from "./effects.ts";
import { useAgentCalls } from "./hooks/use-agent-calls.ts";
import { useApprovals } from "./hooks/use-approvals.ts";
import { useDashboardView } from "./hooks/use-dashboard-view.ts";
import { useLogTail } from "./hooks/use-log-tail.ts";
import { useScreenData } from "./hooks/use-screen-data.ts";
import { INITIAL_UI, type KeyContext, onKey, type SortBy, type UiState } from "./keybindings.ts";
import { layoutFor } from "./layout.ts";
import type { DashboardStore } from "./model/store.ts";

export type { DashboardActions } from "./effects.ts";

export interface AppProps {
  store: DashboardStore;
  actions: DashboardActions;
  info: {
    url: string;
    keySource: string;
    version: string;
    batchMs: number;
    react?: "production" | "development";
  };
  onQuit: () => void;
  /** Called once the App listens to keys (run.tsx then replays the keys typed before). */
  onKeysReady?: () => void;
  /** How often the details view polls the log (tests shorten it). */
  logEveryMs?: number;
  /** How often the details look again at a running agent's model calls (tests shorten it). */
  callsEveryMs?: number;
}

/** The dashboard (PRD §4.1): header, swarm tabs, the view's panels, budget panel, status bar. */
export function App({ store, actions, info, onQuit, onKeysReady, logEveryMs, callsEveryMs }: AppProps) {
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

  const { rows, ids, lines, matches, swarmIds, agentsPerSwarm, swarmNames } = useScreenData(view, state);
  const selectedId =
    state.selectedId !== null && ids.includes(state.selectedId) ? state.selectedId : (ids[0] ?? null);
  const ui = { ...state, selectedId };
  const selected = selectedId ? (view.agentsById.get(selectedId) ?? null) : null;
  const approvals = useApprovals(view, ui);

  const context: KeyContext = {
    agentIds: ids,
    swarmIds,
    eventIds: lines.map((l) => l.id),
    matches,
    approvalIds: approvals.ids,
    mergeSides: approvals.mergeSides,
    whyNotKill: (id) => {
      const agent = view.agentsById.get(id);
      return agent && FINISHED_AGENT_STATUSES.has(agent.status)
        ? `${agent.name} has already ${agent.status === "killed" ? "been killed" : agent.status}`
        : null;
    },
  };
  useKeyboard((key) => {
    const now = latest.current;
    const current = now.selectedId !== null && ids.includes(now.selectedId) ? now : { ...now, selectedId };
    const result = onKey(current, key, context);
    setUi(() => result.ui);
    perform(result.effect, { actions, store, onQuit });
  });
  // After useKeyboard's own effect (effects run in the order they are declared): it listens now.
  useEffect(() => onKeysReady?.(), [onKeysReady]);
  const select = useCallback((id: string) => setUi((u) => ({ ...u, selectedId: id })), [setUi]);
  const sort = useCallback((sortBy: SortBy) => setUi((u) => ({ ...u, sortBy })), [setUi]);

  const layout = layoutFor(width, height, ui.view);
  const log = useLogTail(actions.readLog, selectedId, layout.details !== undefined, logEveryMs);
  const calls = useAgentCalls(actions.listCalls, selected, layout.details !== undefined, {
    everyMs: callsEveryMs,
  });
  const budgetTotal = view.budgets?.totals.find((t) => t.currency === "USD");
  const gridPanel = layout.grid && (
    <Panel title={`Agents ${rows.length}`} grow={0} width={layout.grid.width + 2}>
      <AgentGrid
        agents={rows}
        selectedId={selectedId}
        sortBy={ui.sortBy}
        {...layout.grid}
        onSelect={select}
        onSort={sort}
      />
    </Panel>
  );
  const detailsPanel = layout.details && (
    <Panel title="Details">
      <AgentDetails
        agent={selected}
        swarmName={selected ? (swarmNames.get(selected.swarmId) ?? null) : null}
        parent={selected?.parentId ? (view.agentsById.get(selected.parentId) ?? null) : null}
        kids={selected ? view.agents.filter((a) => a.parentId === selected.id) : []}
        log={log}
        calls={calls}
        {...layout.details}
      />
    </Panel>
  );
  const eventsPanel = layout.events && (
    <Panel title={`Events ${lines.length}${ui.autoScroll ? "" : " (paused: a follows)"}`}>
      <EventStream
        lines={lines}
        {...layout.events}
        autoScroll={ui.autoScroll}
        cursorId={ui.eventId}
        search={ui.draft ?? ui.search}
      />
    </Panel>
  );
  const settingsPanel = layout.settings && (
    <Panel title="Settings">
      <SettingsView {...info} agents={view.agents.length} events={view.events.length} />
    </Panel>
  );
  const side = layout.wide && layout.grid;
  const main = (
    <box flexDirection={side ? "row" : "column"} height={layout.mainHeight}>
      {gridPanel}
      {side ? (
        <box flexDirection="column" flexGrow={1}>
          {detailsPanel}
          {eventsPanel}
        </box>
      ) : (
        <>
          {detailsPanel}
          {eventsPanel}
          {settingsPanel}
        </>
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
        approvals={view.approvals.length}
      />
      <SwarmSelector swarms={view.swarms} selectedId={ui.swarmId} agentCounts={agentsPerSwarm} />
      {main}
      <Panel title="Budget" grow={0} height={layout.budgetSwarmRows + 4}>
        <BudgetPanel
          budgets={view.budgets}
          names={swarmNames}
          history={view.spend}
          width={width - 2}
          swarmRows={layout.budgetSwarmRows}
        />
      </Panel>
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
      {ui.approvals ? (
        <ApprovalsView
          approvals={view.approvals}
          selectedId={approvals.selectedId}
          names={approvals.names}
          now={approvals.now}
          width={width}
          height={height}
        />
      ) : null}
      {approvals.question ? <ConfirmDialog question={approvals.question} /> : null}
      {ui.confirmKill ? (
        <ConfirmDialog
          question={`Kill agent ${view.agentsById.get(ui.confirmKill)?.name ?? ui.confirmKill}?`}
        />
      ) : null}
    </box>
  );
}
