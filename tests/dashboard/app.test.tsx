import { describe, expect, test } from "bun:test";
import { act } from "react";
import { App, type DashboardActions } from "../../src/dashboard/app.tsx";
import { DashboardStore } from "../../src/dashboard/model/store.ts";
import { agent, approval, budgets, call, event, MERGE_DETAILS, swarm } from "./fixtures.ts";
import { frameOf, renderAt } from "./render.ts";

const api = swarm("api-refactor");
const docs = swarm("docs");
const team = [
  agent("jarvis", { swarmId: api.id, status: "running" }),
  agent("friday", { swarmId: api.id, status: "idle" }),
  agent("vision", { swarmId: docs.id, status: "completed" }),
];
const asks = [
  approval("may docs spend more?", { kind: "budget", swarmId: docs.id }, 20),
  approval(
    "deploy to prod?",
    { agentId: team[0]?.id ?? null, swarmId: api.id, details: { env: "prod" } },
    10,
  ),
];

function setup(options: { refreshFails?: boolean; approvals?: typeof asks } = {}) {
  const store = new DashboardStore(0);
  store.replaceAll({
    agents: team,
    swarms: [api, docs],
    budgets: budgets([[api.id, 2, 10]]),
    approvals: options.approvals ?? asks,
  });
  store.flush();
  const events = [
    event("agent.started", { agentId: team[0]?.id, status: "running" }),
    event("agent.failed", { agentId: team[1]?.id, status: "failed", error: { message: "API timeout" } }),
    event("agent.started", { agentId: team[1]?.id, status: "running" }),
  ];
  const calls: string[] = [];
  /** The model calls each agent made through the gateway, newest first (tests add to them). */
  const modelCalls = new Map<string, ReturnType<typeof call>[]>();
  const listed: string[] = [];
  const actions: DashboardActions = {
    kill: async (id) => void calls.push(`kill ${id}`),
    answer: async (id, verb, choice) => void calls.push([verb, id, choice].filter(Boolean).join(" ")),
    refresh: async () => {
      if (options.refreshFails) throw new Error("server gone");
      calls.push("refresh");
    },
    readLog: async (id, after) => ({
      lines: after === undefined ? [`hello from ${id.slice(-4)}`] : [],
      offset: 9,
      finished: false,
    }),
    listCalls: async (id) => {
      listed.push(id);
      return { calls: (modelCalls.get(id) ?? []).slice(), nextCursor: null };
    },
  };
  let quits = 0;
  const app = (
    <App
      store={store}
      actions={actions}
      info={{ url: "http://127.0.0.1:7373", keySource: "--key", version: "test", batchMs: 50 }}
      onQuit={() => quits++}
      logEveryMs={10}
      callsEveryMs={60_000}
    />
  );
  return { store, events, calls, modelCalls, listed, app, quits: () => quits };
}

/** Lets promises (log reads, actions) resolve and React apply what they set. */
const settle = () => act(() => Bun.sleep(30));

/** Feeds events and publishes at once (the batch timer is what the store test covers). */
function publish(store: DashboardStore, events: ReturnType<typeof event>[]) {
  act(() => {
    for (const e of events) store.addEvent(e);
    store.flush();
  });
}

describe("App", () => {
  test("the main view at 120×34: header, swarm tabs, grid, details, events, budget, status bar", async () => {
    const { store, events, app } = setup();
    const screen = await renderAt(app, 120, 34);
    publish(store, events);
    const frame = await frameOf(screen);
    for (const text of [
      "◆ DASH",
      "agents 3",
      "swarm [ ]  all (3)",
      "Agents 3",
      "Details",
      "Events 3",
      "Budget",
      "[1 grid]",
      "2 approvals ◌ connecting",
    ]) {
      expect(frame).toContain(text);
    }
    expect(frame).toContain("failed: API timeout");
    expect(frame).toContain("Total: $2.00 / $10.00");
    expect(frame.split("\n").find((l) => l.includes("Details"))).toContain("Agents");
  });

  test("80×24 stays usable and a resize reflows", async () => {
    const { store, events, app } = setup();
    const screen = await renderAt(app, 80, 24);
    publish(store, events);
    const small = await frameOf(screen);
    expect(small).toContain("jarvis");
    expect(small).toContain("Events 3");
    expect(small).not.toContain("Details");
    expect(small.split("\n")).toHaveLength(25);
    act(() => screen.resize(140, 40));
    const big = await frameOf(screen);
    expect(big).toContain("Details");
    expect(big.split("\n")[0]?.length).toBe(140);
  });

  test("j/k/↓/↑/g/G move the selection the details follow; Enter opens details; 1-4 switch views", async () => {
    const { app } = setup();
    const screen = await renderAt(app, 120, 34);
    const title = async () =>
      (await frameOf(screen)).split("\n").find((l) => /(jarvis|friday|vision) [A-Z]+ 01/.test(l)) ?? "";
    expect(await title()).toContain("friday IDLE");
    const press = async (key: string) => {
      act(() => screen.mockInput.pressKey(key));
      return title();
    };
    expect(await press("j")).toContain("jarvis");
    expect(await press("j")).toContain("vision");
    expect(await press("k")).toContain("jarvis");
    act(() => screen.mockInput.pressArrow("down"));
    expect(await title()).toContain("vision");
    act(() => screen.mockInput.pressArrow("up"));
    expect(await title()).toContain("jarvis");
    expect(await press("g")).toContain("friday");
    expect(await press("G")).toContain("vision");
    act(() => screen.mockInput.pressEnter());
    const details = await frameOf(screen);
    expect(details).toContain("[3 details]");
    expect(details).not.toContain("NAME▼");
    await settle();
    expect(await frameOf(screen)).toContain("hello from");
    for (const [key, label] of [
      ["2", "[2 logs]"],
      ["4", "[4 settings]"],
      ["1", "[1 grid]"],
      ["3", "[3 details]"],
    ]) {
      act(() => screen.mockInput.pressKey(key ?? ""));
      expect(await frameOf(screen)).toContain(label ?? "");
    }
    expect(await frameOf(screen)).toContain("hello from");
  });

  test("x asks, y kills through the actions; r refreshes; q and Ctrl+C quit", async () => {
    const { app, calls, quits } = setup();
    const screen = await renderAt(app, 120, 34);
    act(() => screen.mockInput.pressKey("j"));
    act(() => screen.mockInput.pressKey("x"));
    expect(await frameOf(screen)).toContain("Kill agent jarvis?");
    act(() => screen.mockInput.pressKey("y"));
    expect(await frameOf(screen)).not.toContain("Kill agent");
    act(() => screen.mockInput.pressKey("x"));
    act(() => screen.mockInput.pressKey("n"));
    act(() => screen.mockInput.pressKey("r"));
    await settle();
    expect(await frameOf(screen)).toContain("refreshed");
    expect(calls).toEqual([`kill ${team[0]?.id}`, "refresh"]);
    act(() => screen.mockInput.pressKey("G"));
    act(() => screen.mockInput.pressKey("x"));
    await settle();
    expect(await frameOf(screen)).toContain("vision has already completed");
    act(() => screen.mockInput.pressKey("q"));
    act(() => screen.mockInput.pressCtrlC());
    expect(quits()).toBe(2);
  });

  test("? shows help; a pauses the stream; / searches with highlights; n/N move between matches", async () => {
    const { store, events, app } = setup();
    const screen = await renderAt(app, 120, 34);
    publish(store, events);
    act(() => screen.mockInput.pressKey("?"));
    expect(await frameOf(screen)).toContain("Keys (? or Esc closes)");
    act(() => screen.mockInput.pressKey("?"));
    expect(await frameOf(screen)).not.toContain("Keys (?");
    act(() => screen.mockInput.pressKey("a"));
    expect(await frameOf(screen)).toContain("(paused: a follows)");
    act(() => screen.mockInput.pressKey("a"));
    act(() => screen.mockInput.pressKey("/"));
    await act(() => screen.mockInput.typeText("started"));
    expect(await frameOf(screen)).toContain("/started█  2 matches");
    act(() => screen.mockInput.pressEnter());
    const searched = await frameOf(screen);
    expect(searched).toContain("/started 2 matches");
    const cursorRow = () =>
      screen
        .captureSpans()
        .lines.findIndex((l) => l.spans.some((s) => s.bg.toInts()[2] === 175 && s.text.includes("[")));
    const newest = cursorRow();
    act(() => screen.mockInput.pressKey("N"));
    await frameOf(screen);
    const older = cursorRow();
    expect(older).toBeLessThan(newest);
    act(() => screen.mockInput.pressKey("n"));
    await frameOf(screen);
    expect(cursorRow()).toBe(newest);
    const highlighted = screen
      .captureSpans()
      .lines.flatMap((l) => l.spans)
      .filter((s) => s.text.toLowerCase() === "started");
    expect(highlighted.length).toBeGreaterThanOrEqual(2);
  });

  test("Shift+A lists the pending approvals; j moves, y and n ask first, then answer through the actions; Esc closes", async () => {
    const { store, app, calls } = setup();
    const screen = await renderAt(app, 120, 34);
    const press = (key: string) => act(() => screen.mockInput.pressKey(key));
    press("A");
    const list = await frameOf(screen);
    expect(list).toContain("Approvals 2 (y approve · n deny · Esc closes)");
    expect(list).toMatch(/agent {2}jarvis {10}\d+m \d\ds {2}deploy to prod\?/);
    expect(list).toMatch(/budget docs {12}\d+m \d\ds {2}may docs spend more\?/);
    expect(list).toContain('details {"env":"prod"}');
    press("y");
    expect(await frameOf(screen)).toContain('Approve "deploy to prod?"?');
    press("y");
    expect(await frameOf(screen)).not.toContain("Approve");
    press("j");
    press("n");
    expect(await frameOf(screen)).toContain('Deny "may docs spend more?"?');
    press("x");
    press("n");
    act(() => screen.mockInput.pressEnter());
    expect(calls).toEqual([`approve ${asks[1]?.id}`, `deny ${asks[0]?.id}`]);
    // Answered elsewhere: it leaves the list (and the header count) as its event arrives.
    publish(store, [event("approval.resolved", { approvalId: asks[0]?.id, status: "denied" })]);
    const after = await frameOf(screen);
    expect(after).toContain("Approvals 1");
    expect(after).toContain("1 approval ");
    press("escape");
    expect(await frameOf(screen)).not.toContain("Approvals 1");
    press("A");
    publish(store, [event("approval.resolved", { approvalId: asks[1]?.id, status: "approved" })]);
    const none = await frameOf(screen);
    expect(none).toContain("No approval requests are waiting for an answer.");
    expect(none.split("\n")[0]).not.toContain("approval");
  });

  test("a merge approval: its sides are numbered, y asks for one, a digit asks to keep that side, then approves with it", async () => {
    // Expiring first, it is listed (and selected) first.
    const merge = approval(
      "merge of api-refactor stopped",
      { kind: "merge", swarmId: api.id, details: MERGE_DETAILS },
      5,
    );
    const { app, calls } = setup({ approvals: [merge, ...asks] });
    const screen = await renderAt(app, 120, 34);
    const press = (key: string) => act(() => screen.mockInput.pressKey(key));
    press("A");
    const list = await frameOf(screen);
    expect(list).toContain("Approvals 3 (1–2 keep a side · n deny · Esc closes)");
    expect(list).toContain("  1. agent-2 (dash/api/agent-2)");
    press("y");
    await settle();
    expect(await frameOf(screen)).toContain("pick the side to keep: 1–2");
    expect(calls).toEqual([]);
    press("2");
    expect(await frameOf(screen)).toContain("Approve keeping integration in this merge?");
    press("y");
    press("n");
    expect(await frameOf(screen)).toContain('Deny "merge of api-refactor stopped"?');
    press("y");
    expect(calls).toEqual([`approve ${merge.id} integration`, `deny ${merge.id}`]);
  });

  test("a click on a row selects it, on a header sorts; a failed refresh says why", async () => {
    const { app, store } = setup();
    const screen = await renderAt(app, 120, 34);
    const frame = await frameOf(screen);
    const rows = frame.split("\n");
    const vision = rows.findIndex((l) => l.includes("│vision"));
    await act(() => screen.mockMouse.click(5, vision));
    expect(await frameOf(screen)).toMatch(/vision COMPLETED 01/);
    const header = rows.findIndex((l) => l.includes("NAME▼"));
    await act(() => screen.mockMouse.click(rows[header]?.indexOf("COST") ?? 0, header));
    expect(await frameOf(screen)).toContain("COST▼");
    store.setNotice(null);
  });

  test("a failed refresh says why in the status bar", async () => {
    const { app } = setup({ refreshFails: true });
    const screen = await renderAt(app, 120, 34);
    act(() => screen.mockInput.pressKey("r"));
    await settle();
    expect(await frameOf(screen)).toContain("refresh failed: server gone");
  });

  test("[ and ] show one swarm; s sorts; live events change rows and the connection state", async () => {
    const { store, app } = setup();
    const screen = await renderAt(app, 120, 34);
    act(() => screen.mockInput.pressKey("]"));
    const one = await frameOf(screen);
    expect(one).toContain("Agents 2");
    expect(one).not.toContain("vision ");
    act(() => screen.mockInput.pressKey("["));
    act(() => screen.mockInput.pressKey("s"));
    expect(await frameOf(screen)).toContain("STATUS▼");
    publish(store, [event("agent.killed", { agentId: team[0]?.id, status: "killed" })]);
    act(() => store.setConnection("reconnecting"));
    act(() => store.flush());
    const after = await frameOf(screen);
    expect(after).toContain("KILLED");
    expect(after).toContain("◌ reconnecting");
  });

  test("the details view at 100×30: metering and model calls, loaded for the selected agent only, again on its usage", async () => {
    const { store, app, modelCalls, listed } = setup();
    const jarvis = team[0]?.id ?? "";
    modelCalls.set(jarvis, [call({ agentId: jarvis, maxTokens: 600 }, 5), call({ agentId: jarvis }, 0)]);
    const screen = await renderAt(app, 100, 30);
    act(() => screen.mockInput.pressKey("j"));
    act(() => screen.mockInput.pressKey("3"));
    await settle();
    const frame = await frameOf(screen);
    expect(frame).toMatch(/jarvis RUNNING 01/);
    // The snapshot came before it ran: its metering is learnt from its first gateway usage.
    expect(frame).toContain("│metering -");
    expect(frame).toContain(
      "│calls    2 calls · 1 capped · last claude-sonnet-4-5 in 1,204 / out 310 (capped from 1,000) $0.00…│",
    );
    expect(frame).toContain(
      "│10:42:06 claude-sonnet-4-5 in 1,204 / out 310 (capped from 1,000) $0.0049 412 ms",
    );
    expect(listed).toEqual([jarvis]);
    modelCalls.get(jarvis)?.unshift(call({ agentId: jarvis, model: "claude-haiku-4-5" }, 9));
    const total = { promptTokens: 3000, completionTokens: 900, totalTokens: 3900, amount: 0.02 };
    publish(store, [
      event("agent.usage", { agentId: jarvis, callId: "C3", model: "claude-haiku-4-5", total }),
    ]);
    await act(() => Bun.sleep(1100));
    const after = await frameOf(screen);
    expect(after).toContain("│metering gateway: each call admitted before it is made");
    expect(after).toContain("│calls    3 calls · 1 capped · last claude-haiku-4-5");
    expect(listed).toEqual([jarvis, jarvis]);
  });
});
