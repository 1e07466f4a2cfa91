/** @jsxImportSource react */
import { useEffect, useState, useSyncExternalStore } from "react";
import type { DashboardFeed } from "../dashboard/model/feed.ts";
import { AgentGrid } from "./components/agent-grid.tsx";
import { ConnectionBadge } from "./components/connection-badge.tsx";
import { LoginForm } from "./components/login-form.tsx";
import { forgetKey, openFeed, savedKey, saveKey } from "./session.ts";

/** The page: the login form until a key works, then the live view of the server. */
export function App() {
  const [key, setKey] = useState<string | null>(savedKey);
  const [feed, setFeed] = useState<DashboardFeed | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!key) return;
    const opened = openFeed(key);
    let live = true;
    opened.start().then(
      () => live && setFeed(opened),
      (failure: Error) => {
        opened.stop();
        if (!live) return;
        forgetKey();
        setKey(null);
        setError(failure.message);
      },
    );
    return () => {
      live = false;
      opened.stop();
      opened.store.close();
    };
  }, [key]);

  if (!key) {
    return (
      <LoginForm
        error={error}
        onSubmit={(entered) => {
          saveKey(entered);
          setError(null);
          setKey(entered);
        }}
      />
    );
  }
  if (!feed) return <p className="loading">Connecting…</p>;
  return (
    <Live
      feed={feed}
      onLogout={() => {
        forgetKey();
        setFeed(null);
        setKey(null);
      }}
    />
  );
}

function Live({ feed, onLogout }: { feed: DashboardFeed; onLogout: () => void }) {
  const view = useSyncExternalStore(feed.store.subscribe, feed.store.getView);
  const running = view.agents.filter((a) => a.status === "running").length;
  return (
    <div className="app">
      <header className="top">
        <h1>◆ Dash</h1>
        <span className="summary">
          agents {view.agents.length} ({running} running) · swarms {view.swarms.length}
        </span>
        <ConnectionBadge state={view.connection} />
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      {view.notice ? <p className="notice">{view.notice}</p> : null}
      <AgentGrid agents={view.agents} swarms={view.swarmsById} />
    </div>
  );
}
