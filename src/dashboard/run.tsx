import { createCliRenderer } from "@opentui/core";
import { createRoot } from "@opentui/react";
import { DashClient } from "../client/client.ts";
import type { Connection } from "../client/connection.ts";
import { App } from "./app.tsx";
import { holdEarlyKeys } from "./early-keys.ts";
import { DashboardFeed } from "./model/feed.ts";
import { DashboardStore } from "./model/store.ts";

const BATCH_MS = 50;
const MAX_FPS = 120;
/** What React loaded (it reads NODE_ENV too); build.ts fixes it to production in the binary. */
const REACT = process.env.NODE_ENV === "production" ? "production" : "development";

/**
 * Runs `dash dashboard` until the operator quits. The first snapshot is loaded before the screen
 * is taken, so "no server" is a plain message on a normal terminal. Every way out (q, Ctrl+C,
 * SIGTERM, SIGHUP, a crash) destroys the renderer first, which restores the terminal.
 */
export async function runDashboard(connection: Connection, version: string): Promise<number> {
  const client = new DashClient(connection);
  const store = new DashboardStore(BATCH_MS);
  const feed = new DashboardFeed(client, store);
  await feed.start();
  // Publish the snapshot now: the first frame must not wait for (or show) a partial batch.
  store.flush();

  // Signals are ours: the renderer's own handlers would restore the terminal but not exit.
  // maxFps: a frame asked for within 1/maxFps s of the last one waits for that; at OpenTUI's 60
  // a key pressed just after a frame waited up to 16.7 ms (§4.5 asks < 16 ms). The feed batches
  // events every 50 ms, so only keys can ask for frames that fast.
  const renderer = await createCliRenderer({
    exitOnCtrlC: false,
    exitSignals: [],
    targetFps: 30,
    maxFps: MAX_FPS,
  });
  const releaseKeys = holdEarlyKeys(renderer.keyInput);
  const { promise, resolve } = Promise.withResolvers<number>();
  let done = false;
  const quit = (code: number, error?: unknown) => {
    if (done) return;
    done = true;
    feed.stop();
    store.close();
    renderer.destroy();
    if (error)
      console.error(
        `dash dashboard stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    resolve(code);
  };
  const onSignal = () => quit(0);
  const onCrash = (error: unknown) => quit(1, error);
  for (const signal of ["SIGTERM", "SIGHUP", "SIGINT"] as const) process.once(signal, onSignal);
  process.once("uncaughtException", onCrash);
  process.once("unhandledRejection", onCrash);

  const actions = {
    kill: (id: string) => feed.kill(id),
    refresh: () => feed.refresh(),
    answer: (id: string, verb: "approve" | "deny", choice?: string) => feed.answer(id, verb, choice),
    readLog: (id: string, after?: number) =>
      client.agentLogs(id, after === undefined ? { tail: 200 } : { after }),
    listCalls: (id: string, limit: number) => client.listCalls(id, { limit }),
  };
  createRoot(renderer).render(
    <App
      store={store}
      actions={actions}
      info={{
        url: connection.url,
        keySource: connection.keySource,
        version,
        batchMs: BATCH_MS,
        react: REACT,
      }}
      onQuit={() => quit(0)}
      onKeysReady={releaseKeys}
    />,
  );
  // The binary starts with the JIT held back for start-up code (build.ts); the TUI renders
  // 30 times a second, so it gets the normal policy once its first frame is on the way.
  Bun.unsafe.setJITPolicy(1);
  const code = await promise;
  for (const signal of ["SIGTERM", "SIGHUP", "SIGINT"] as const) process.off(signal, onSignal);
  process.off("uncaughtException", onCrash);
  process.off("unhandledRejection", onCrash);
  return code;
}
