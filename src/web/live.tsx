/** @jsxImportSource react */
import { useCallback, useMemo, useState, useSyncExternalStore } from "react";
import { useAgentCalls } from "../dashboard/hooks/use-agent-calls.ts";
import { useLogTail } from "../dashboard/hooks/use-log-tail.ts";
import { useNames } from "../dashboard/hooks/use-names.ts";
import { useNow } from "../dashboard/hooks/use-now.ts";
import { agentRows, DEFAULT_TABLE_QUERY, sortOn } from "../dashboard/model/agent-table.ts";
import type { DashboardFeed } from "../dashboard/model/feed.ts";
import { money } from "../dashboard/model/format.ts";
import { AgentDetails } from "./components/agent-details.tsx";
import { AgentGrid } from "./components/agent-grid.tsx";
import { ApprovalsView } from "./components/approvals-view.tsx";
import { BudgetsView } from "./components/budgets-view.tsx";
import { ConfirmDialog } from "./components/confirm-dialog.tsx";
import { ConnectionBadge } from "./components/connection-badge.tsx";
import { EventList } from "./components/event-list.tsx";
import { GridToolbar } from "./components/grid-toolbar.tsx";
import { HelpDialog } from "./components/help-dialog.tsx";
import { NavTabs, type WebView } from "./components/nav-tabs.tsx";
import { SwarmView } from "./components/swarm-view.tsx";
import { useActions } from "./hooks/use-actions.ts";
import { useHandlers } from "./hooks/use-handlers.ts";
import { useKeyInfo } from "./hooks/use-key-info.ts";
import { usePageKeys } from "./hooks/use-page-keys.ts";

/** The open agent's log is read this often (see session.ts: requests per minute per key). */
const LOG_EVERY_MS = 2000;

export interface LiveProps {
  feed: DashboardFeed;
  onLogout: () => void;
}

/** The logged-in page: header, the views, the agent side panel, the dialogs and the keys. */
export function Live({ feed, onLogout }: LiveProps) {
  const view = useSyncExternalStore(feed.store.subscribe, feed.store.getView);
  const { client } = feed;
  const { key, canAct } = useKeyInfo(client);
  const actions = useActions(feed);
  const handlers = useHandlers(feed, actions, canAct);
  const [tab, setTab] = useState<WebView>("agents");
  const [query, setQuery] = useState(DEFAULT_TABLE_QUERY);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [search, setSearch] = useState("");
  const [help, setHelp] = useState(false);

  const rows = useMemo(
    () => agentRows(view.agents, view.swarmsById, query),
    [view.agents, view.swarmsById, query],
  );
  const names = useNames(view);
  const swarmNames = useMemo(() => new Map(view.swarms.map((s) => [s.id, s.name])), [view.swarms]);
  const open = openId ? (view.agentsById.get(openId) ?? null) : null;
  const readLog = useCallback(
    (id: string, after?: number) => client.agentLogs(id, after === undefined ? { tail: 200 } : { after }),
    [client],
  );
  const listCalls = useCallback((id: string, limit: number) => client.listCalls(id, { limit }), [client]);
  const log = useLogTail(readLog, open?.id ?? null, open !== null, LOG_EVERY_MS);
  const calls = useAgentCalls(listCalls, open, open !== null);
  const now = useNow(tab === "approvals");
  const openAgent = useCallback((id: string) => {
    setSelectedId(id);
    setOpenId(id);
  }, []);

  usePageKeys({
    tab,
    rows,
    selectedId,
    openId,
    handlers,
    agentsById: view.agentsById,
    swarms: view.swarms,
    query,
    setTab,
    setQuery,
    setSelectedId,
    setOpenId,
    setHelp,
    refresh: () => void feed.refresh().catch(() => {}),
  });

  const running = view.agents.filter((a) => a.status === "running").length;
  const spent = view.swarms.reduce((sum, s) => sum + s.budget.spent, 0);
  return (
    <div className={`app${open ? " with-details" : ""}`}>
      <header className="top">
        <h1>◆ Dash</h1>
        <span className="summary">
          agents {view.agents.length} ({running} running) · swarms {view.swarms.length} · spent {money(spent)}
        </span>
        <ConnectionBadge state={view.connection} />
        {key ? (
          <span className="key" title={key.permissions.join(", ")}>
            {key.name}
            {canAct ? "" : " · read only"}
          </span>
        ) : null}
        <button type="button" onClick={() => setHelp(true)} aria-label="Keys (?)">
          ?
        </button>
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      <NavTabs view={tab} counts={{ approvals: view.approvals.length }} onView={setTab} />
      <output className="notice" aria-live="polite">
        {view.notice ?? ""}
      </output>
      <main id="view" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "agents" ? (
          <>
            <GridToolbar
              query={query}
              swarms={view.swarms}
              shown={rows.length}
              total={view.agents.length}
              onQuery={setQuery}
            />
            <AgentGrid
              rows={rows}
              swarms={view.swarmsById}
              query={query}
              selectedId={selectedId}
              onSort={(column) => setQuery((q) => sortOn(q, column))}
              onSelect={setSelectedId}
              onOpen={openAgent}
            />
          </>
        ) : null}
        {tab === "swarms" ? (
          <SwarmView
            swarms={view.swarms}
            agents={view.agents}
            actions={handlers?.swarm ?? null}
            onOpenAgent={openAgent}
          />
        ) : null}
        {tab === "events" ? (
          <EventList events={view.events} names={names} search={search} onSearch={setSearch} />
        ) : null}
        {tab === "budgets" ? (
          <BudgetsView budgets={view.budgets} names={swarmNames} spend={view.spend} />
        ) : null}
        {tab === "approvals" ? (
          <ApprovalsView
            approvals={view.approvals}
            names={names}
            now={now}
            actions={handlers?.approval ?? null}
          />
        ) : null}
      </main>
      {open ? (
        <AgentDetails
          agent={open}
          swarm={view.swarmsById.get(open.swarmId)}
          calls={calls}
          log={log}
          actions={handlers?.agent ?? null}
          onClose={() => setOpenId(null)}
        />
      ) : null}
      <ConfirmDialog ask={actions.asking} onAnswer={actions.answer} />
      <HelpDialog open={help} onClose={() => setHelp(false)} />
    </div>
  );
}
