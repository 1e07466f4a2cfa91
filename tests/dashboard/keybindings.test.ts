import { describe, expect, test } from "bun:test";
import {
  HELP,
  INITIAL_UI,
  type Key,
  type KeyContext,
  onKey,
  type UiState,
} from "../../src/dashboard/keybindings.ts";
import { layoutFor } from "../../src/dashboard/layout.ts";

const key = (name: string, extra: Partial<Key> = {}): Key => ({
  name,
  sequence: name.length === 1 ? name : "",
  ...extra,
});
const ctx: KeyContext = {
  agentIds: ["a", "b", "c"],
  swarmIds: ["s1", "s2"],
  eventIds: ["e0", "e1", "e2", "e3", "e4"],
  matches: [1, 3],
  approvalIds: ["p1", "p2", "p3"],
  whyNotKill: (id) => (id === "c" ? "c has already completed" : null),
};
/** Presses keys in turn, each seeing the state the last one left. */
function press(names: (string | Key)[], start: UiState = { ...INITIAL_UI, selectedId: "a" }, context = ctx) {
  let ui = start;
  const effects = [];
  for (const name of names) {
    const result = onKey(ui, typeof name === "string" ? key(name) : name, context);
    ui = result.ui;
    if (result.effect) effects.push(result.effect);
  }
  return { ui, effects };
}

describe("keys of PRD §4.3", () => {
  test("j/k/↓/↑ move the agent selection, clamped; g and G go to the ends", () => {
    expect(press(["j"]).ui.selectedId).toBe("b");
    expect(press(["down", "down", "down"]).ui.selectedId).toBe("c");
    expect(press(["k"]).ui.selectedId).toBe("a");
    expect(press(["j", "up"]).ui.selectedId).toBe("a");
    expect(press([key("g", { shift: true, sequence: "G" })]).ui.selectedId).toBe("c");
    expect(press([key("g", { shift: true, sequence: "G" }), "g"]).ui.selectedId).toBe("a");
    expect(press(["end"]).ui.selectedId).toBe("c");
    expect(press(["j"], { ...INITIAL_UI }, { ...ctx, agentIds: [] }).ui.selectedId).toBeNull();
    expect(press(["k"], { ...INITIAL_UI, selectedId: "gone" }).ui.selectedId).toBe("c");
  });

  test("Enter opens details, Esc returns to the grid, 1-4 switch views", () => {
    expect(press(["return"]).ui.view).toBe("details");
    expect(press(["return", "escape"]).ui.view).toBe("grid");
    expect(press(["2"]).ui.view).toBe("logs");
    expect(press(["3"]).ui.view).toBe("details");
    expect(press(["4"]).ui.view).toBe("settings");
    expect(press(["4", "1"]).ui.view).toBe("grid");
    expect(press(["5"]).ui.view).toBe("grid");
    expect(press(["return"], { ...INITIAL_UI }).ui.view).toBe("grid");
  });

  test("x asks first; y or Enter kills, anything else cancels; finished agents are not asked about", () => {
    const asked = press(["j", "x"]);
    expect(asked.ui.confirmKill).toBe("b");
    expect(asked.effects).toEqual([]);
    expect(press(["j", "x", "y"]).effects).toEqual([{ type: "kill", agentId: "b" }]);
    expect(press(["x", "return"]).effects).toEqual([{ type: "kill", agentId: "a" }]);
    const cancelled = press(["x", "n"]);
    expect(cancelled.effects).toEqual([]);
    expect(cancelled.ui.confirmKill).toBeNull();
    expect(press(["x", "q"]).effects).toEqual([]);
    expect(press(["G", "x"].map((k) => (k === "G" ? key("g", { shift: true }) : k))).effects).toEqual([
      { type: "notice", text: "c has already completed" },
    ]);
    expect(press(["2", "x"]).ui.confirmKill).toBeNull();
  });

  test("r refreshes, q and Ctrl+C quit (Ctrl+C even while typing or confirming)", () => {
    expect(press(["r"]).effects).toEqual([{ type: "refresh" }]);
    expect(press(["q"]).effects).toEqual([{ type: "quit" }]);
    expect(press([key("c", { ctrl: true })]).effects).toEqual([{ type: "quit" }]);
    expect(press(["/", key("c", { ctrl: true })]).effects).toEqual([{ type: "quit" }]);
    expect(press(["x", key("c", { ctrl: true })]).effects).toEqual([{ type: "quit" }]);
  });

  test("? shows help until ? or Esc; other keys wait", () => {
    expect(press(["?"]).ui.help).toBe(true);
    expect(press(["?", "j"]).ui).toMatchObject({ help: true, selectedId: "a" });
    expect(press(["?", "?"]).ui.help).toBe(false);
    expect(press(["?", "escape"]).ui.help).toBe(false);
    expect(press(["?", "q"]).effects).toEqual([{ type: "quit" }]);
    expect(HELP.map(([k]) => k).join(" ")).toContain("n / N");
  });

  test("a toggles auto-scroll (PRD §4.3); in the logs view j/k move through events and G follows again", () => {
    expect(press(["a"]).ui).toMatchObject({ autoScroll: false, eventId: "e4" });
    expect(press(["a", "a"]).ui.autoScroll).toBe(true);
    const logs = press(["2", "k", "k"]).ui;
    expect(logs).toMatchObject({ autoScroll: false, eventId: "e2" });
    expect(press(["2", "k", "k", "j", "j"]).ui).toMatchObject({ autoScroll: true, eventId: "e4" });
    expect(press(["2", "g"]).ui).toMatchObject({ autoScroll: false, eventId: "e0" });
    expect(press(["2", "g", key("g", { shift: true })]).ui.autoScroll).toBe(true);
  });

  test("/ types a search (Backspace edits, Esc cancels, Enter jumps to the newest match); n/N cycle matches", () => {
    const typed = press(["/", "f", "o", "x", "backspace", "o"]);
    expect(typed.ui.draft).toBe("foo");
    expect(press(["/", "f", "escape"]).ui).toMatchObject({ draft: null, search: "" });
    const searched = press(["/", "f", "o", "return"]).ui;
    expect(searched).toMatchObject({ draft: null, search: "fo", autoScroll: false, eventId: "e3" });
    expect(press(["/", "f", "return", "n"]).ui.eventId).toBe("e1");
    expect(press(["/", "f", "return", "n", "n"]).ui.eventId).toBe("e3");
    expect(press(["/", "f", "return", key("n", { shift: true, sequence: "N" })]).ui.eventId).toBe("e1");
    expect(press(["/", "return"]).ui).toMatchObject({ search: "", autoScroll: true });
    expect(press(["/", "q", "j", "return"]).effects).toEqual([]);
    expect(press(["/", key("x", { ctrl: true, sequence: "\x18" })]).ui.draft).toBe("");
    expect(press(["n"], INITIAL_UI, { ...ctx, matches: [] }).ui.autoScroll).toBe(true);
  });

  test("s cycles the sort; [ and ] cycle swarms through 'all'", () => {
    expect(press(["s"]).ui.sortBy).toBe("status");
    expect(press(["s", "s", "s"]).ui.sortBy).toBe("name");
    expect(press(["]"]).ui.swarmId).toBe("s1");
    expect(press(["]", "]", "]"]).ui.swarmId).toBeNull();
    expect(press(["["]).ui.swarmId).toBe("s2");
    expect(press(["z"]).ui).toEqual({ ...INITIAL_UI, selectedId: "a" });
  });
});

describe("approvals", () => {
  const A = key("a", { shift: true, sequence: "A" });
  test("Shift+A opens the list, Esc or a closes it; j/k/↓/↑/g/G move within it, clamped, and nothing else", () => {
    expect(press([A]).ui).toMatchObject({ approvals: true, approvalId: null });
    expect(press([A, "escape"]).ui.approvals).toBe(false);
    expect(press([A, "a"]).ui.approvals).toBe(false);
    expect(press([A, "j"]).ui).toMatchObject({ approvalId: "p2", selectedId: "a" });
    expect(press([A, "j", "down", "j", "j"]).ui.approvalId).toBe("p3");
    expect(press([A, "j", "k", "up"]).ui.approvalId).toBe("p1");
    expect(press([A, key("g", { shift: true, sequence: "G" })]).ui.approvalId).toBe("p3");
    expect(press([A, "j", "j", "g"]).ui.approvalId).toBe("p1");
    // An answered (vanished) selection counts as the first.
    expect(press(["j"], { ...INITIAL_UI, approvals: true, approvalId: "gone" }).ui.approvalId).toBe("p2");
    expect(press([A, "j", "2", "x", "s", "?"]).ui).toMatchObject({
      approvals: true,
      view: "grid",
      confirmKill: null,
      sortBy: "name",
      help: false,
    });
    expect(press([A, "q"]).effects).toEqual([{ type: "quit" }]);
    expect(press([A, "j"], undefined, { ...ctx, approvalIds: [] }).ui.approvalId).toBeNull();
  });

  test("y approves and n denies the selected request after a y/Enter confirmation; other keys cancel", () => {
    const asked = press([A, "j", "y"]);
    expect(asked.ui.confirmAnswer).toEqual({ approvalId: "p2", verb: "approve" });
    expect(asked.effects).toEqual([]);
    expect(press([A, "j", "y", "y"]).effects).toEqual([
      { type: "answer", approvalId: "p2", verb: "approve" },
    ]);
    expect(press([A, "n", "return"]).effects).toEqual([{ type: "answer", approvalId: "p1", verb: "deny" }]);
    const cancelled = press([A, "n", "n"]);
    expect(cancelled.effects).toEqual([]);
    expect(cancelled.ui).toMatchObject({ confirmAnswer: null, approvals: true });
    expect(press([A, "y", "escape"]).effects).toEqual([]);
    expect(press([A, "y", key("c", { ctrl: true })]).effects).toEqual([{ type: "quit" }]);
    // After an answer the list stays open for the next one.
    expect(press([A, "y", "y"]).ui).toMatchObject({ approvals: true, confirmAnswer: null });
    expect(press([A, "y"], undefined, { ...ctx, approvalIds: [] }).ui.confirmAnswer).toBeNull();
    // Outside the list, y does nothing and n still jumps between search matches.
    expect(press(["y"]).ui.confirmAnswer).toBeNull();
    expect(press(["n"]).ui.eventId).toBe("e1");
    expect(HELP.map(([k]) => k)).toEqual(expect.arrayContaining(["a", "A", "y / n"]));
  });
});

describe("merge approvals", () => {
  const A = key("a", { shift: true, sequence: "A" });
  // p2 is a merge approval with two sides, p3 one whose details named none; p1 is an agent's.
  const merging: KeyContext = {
    ...ctx,
    mergeSides: new Map([
      ["p2", ["agent-2", "integration"]],
      ["p3", []],
    ]),
  };
  const run = (names: (string | Key)[]) => press(names, undefined, merging);

  test("1–9 pick the side to keep, ask first, then approve with that choice", () => {
    const asked = run([A, "j", "2"]);
    expect(asked.ui.confirmAnswer).toEqual({ approvalId: "p2", verb: "approve", choice: "integration" });
    expect(asked.effects).toEqual([]);
    expect(run([A, "j", "1", "y"]).effects).toEqual([
      { type: "answer", approvalId: "p2", verb: "approve", choice: "agent-2" },
    ]);
    expect(run([A, "j", "2", "return"]).effects).toEqual([
      { type: "answer", approvalId: "p2", verb: "approve", choice: "integration" },
    ]);
    expect(run([A, "j", "1", "n"]).effects).toEqual([]);
    // A digit past the last side says which ones there are.
    const past = run([A, "j", "3"]);
    expect(past.effects).toEqual([{ type: "notice", text: "pick the side to keep: 1–2" }]);
    expect(past.ui.confirmAnswer).toBeNull();
  });

  test("y does not send (approving needs a side) but says which keys pick one; n denies as before", () => {
    const y = run([A, "j", "y"]);
    expect(y.effects).toEqual([{ type: "notice", text: "pick the side to keep: 1–2" }]);
    expect(y.ui).toMatchObject({ confirmAnswer: null, approvals: true });
    expect(run([A, "j", "n"]).ui.confirmAnswer).toStrictEqual({ approvalId: "p2", verb: "deny" });
    expect(run([A, "j", "n", "y"]).effects).toStrictEqual([
      { type: "answer", approvalId: "p2", verb: "deny" },
    ]);
    expect(run([A, "j", "j", "y"]).effects).toEqual([
      { type: "notice", text: "this merge approval lists no sides to keep: n denies it" },
    ]);
    expect(run([A, "j", "j", "1"]).effects).toEqual([
      { type: "notice", text: "this merge approval lists no sides to keep: n denies it" },
    ]);
  });

  test("other kinds ignore digits and answer y/n exactly as before", () => {
    const digit = run([A, "1"]);
    expect(digit.effects).toEqual([]);
    expect(digit.ui).toMatchObject({ confirmAnswer: null, view: "grid", approvals: true });
    expect(run([A, "y", "y"]).effects).toStrictEqual([{ type: "answer", approvalId: "p1", verb: "approve" }]);
    expect(press([A, "1"], undefined, { ...merging, approvalIds: [] }).ui.confirmAnswer).toBeNull();
    // 0 is no side: it waits like any other key.
    expect(run([A, "j", "0"]).effects).toEqual([]);
    expect(HELP.map(([k]) => k)).toContain("1-9");
  });
});

describe("layoutFor", () => {
  test("80×24 stacks the grid over the events and keeps both usable", () => {
    const layout = layoutFor(80, 24, "grid");
    expect(layout.wide).toBe(false);
    expect(layout.grid?.height).toBeGreaterThanOrEqual(8);
    expect(layout.events?.height).toBeGreaterThanOrEqual(3);
    expect(layout.details).toBeUndefined();
  });

  test("wide terminals put details and events beside the grid; other views take the whole area", () => {
    const layout = layoutFor(160, 48, "grid");
    expect(layout).toMatchObject({ wide: true, budgetSwarmRows: 4 });
    expect((layout.grid?.width ?? 0) + (layout.details?.width ?? 0) + 4).toBe(160);
    expect(layoutFor(120, 34, "logs").events?.width).toBe(118);
    expect(layoutFor(120, 34, "details").details?.height).toBeGreaterThan(15);
    expect(layoutFor(120, 34, "settings").settings).toBeDefined();
    expect(layoutFor(20, 5, "grid").mainHeight).toBe(6);
  });
});
