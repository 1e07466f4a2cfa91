import { describe, expect, test } from "bun:test";
import { KeyEvent, KeyHandler, parseKeypress } from "@opentui/core";
import { useRenderer } from "@opentui/react";
import { useEffect } from "react";
import { App, type DashboardActions } from "../../src/dashboard/app.tsx";
import { holdEarlyKeys } from "../../src/dashboard/early-keys.ts";
import { DashboardStore } from "../../src/dashboard/model/store.ts";
import { agent, budgets, swarm } from "./fixtures.ts";
import { frameOf, renderAt } from "./render.ts";

function press(keys: KeyHandler, text: string): void {
  const parsed = parseKeypress(text);
  if (!parsed) throw new Error(`not a key: ${text}`);
  keys.emit("keypress", new KeyEvent(parsed));
}

/** Types `j` from its effect, which runs before its next sibling's (the App's): before it listens. */
function Typist({ hold, early }: { hold: boolean; early: { release?: () => void } }) {
  const renderer = useRenderer();
  useEffect(() => {
    if (hold) early.release = holdEarlyKeys(renderer.keyInput);
    press(renderer.keyInput, "j");
  }, [renderer, hold, early]);
  return null;
}

describe("keys typed before the dashboard listens", () => {
  test("are held, then replayed in order, once; later ones go straight through", () => {
    const keys = new KeyHandler();
    const release = holdEarlyKeys(keys);
    press(keys, "j");
    press(keys, "j");
    press(keys, "/");
    const seen: string[] = [];
    keys.on("keypress", (key: KeyEvent) => seen.push(key.name));
    expect(seen).toEqual([]);
    release();
    expect(seen).toEqual(["j", "j", "/"]);
    press(keys, "k");
    release(); // a second release replays nothing again
    expect(seen).toEqual(["j", "j", "/", "k"]);
  });

  const team = swarm("team");
  const agents = [agent("alpha", { swarmId: team.id }), agent("bravo", { swarmId: team.id })];
  const none = async () => undefined;
  const actions: DashboardActions = {
    kill: none,
    answer: none,
    refresh: none,
    readLog: async () => ({ lines: [], offset: 0, finished: false }),
    listCalls: async () => ({ calls: [], nextCursor: null }),
  };

  /** `j` pressed before the App's effects ran (a sibling's effect runs first), with or without the hold. */
  async function earlyJ(hold: boolean): Promise<string> {
    const store = new DashboardStore(0);
    store.replaceAll({ agents, swarms: [team], budgets: budgets([]), approvals: [] });
    store.flush();
    const early: { release?: () => void } = {};
    const screen = await renderAt(
      <>
        <Typist hold={hold} early={early} />
        <App
          store={store}
          actions={actions}
          info={{ url: "http://127.0.0.1:7373", keySource: "--key", version: "test", batchMs: 50 }}
          onQuit={() => {}}
          onKeysReady={() => early.release?.()}
          callsEveryMs={60_000}
        />
      </>,
      120,
      34,
    );
    const frame = await frameOf(screen);
    return frame.split("\n").find((l) => /(alpha|bravo) [A-Z]+ 01/.test(l)) ?? "";
  }

  test("the App replays them once it listens: the first j moves the selection", async () => {
    expect(await earlyJ(false)).toContain("alpha RUNNING"); // without the hold, the j is lost
    expect(await earlyJ(true)).toContain("bravo RUNNING");
  });
});
