/** @jsxImportSource react */
import { useEffect, useState } from "react";
import type { DashboardFeed } from "../dashboard/model/feed.ts";
import { LoginForm } from "./components/login-form.tsx";
import { Live } from "./live.tsx";
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
