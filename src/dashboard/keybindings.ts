import { answering, approvalsKey } from "./approval-keys.ts";
import { cycle, stepSelection } from "./model/selection.ts";

/**
 * Every key of the dashboard (PRD §4.3 and a few more), as a pure function from the UI state and
 * one key press to the next UI state and what to do: the App performs the effect, tests call this.
 */
export const VIEWS = ["grid", "logs", "details", "settings"] as const;
export type View = (typeof VIEWS)[number];
export const SORTS = ["name", "status", "cost"] as const;
export type SortBy = (typeof SORTS)[number];
export type Verb = "approve" | "deny";
/** An answer to an approval request; approving a merge one names the side to keep. */
export interface Answer {
  approvalId: string;
  verb: Verb;
  choice?: string;
}

export interface UiState {
  view: View;
  /** The selected agent (follows it when sorting moves it). */
  selectedId: string | null;
  sortBy: SortBy;
  /** The swarm the grid shows; null: all. */
  swarmId: string | null;
  /** The event stream follows new events; off, it stays at `eventId`. */
  autoScroll: boolean;
  eventId: string | null;
  /** The committed search, and the text being typed after `/` (null when not typing). */
  search: string;
  draft: string | null;
  help: boolean;
  /** The agent `x` asked to kill, waiting for y/n. */
  confirmKill: string | null;
  /** The approvals overlay (`a`) is open; the request selected in it (null: the first). */
  approvals: boolean;
  approvalId: string | null;
  /** The answer `y`, `n` or a side's digit asked to send, waiting for y/n. */
  confirmAnswer: Answer | null;
}

export const INITIAL_UI: UiState = {
  view: "grid",
  selectedId: null,
  sortBy: "name",
  swarmId: null,
  autoScroll: true,
  eventId: null,
  search: "",
  draft: null,
  help: false,
  confirmKill: null,
  approvals: false,
  approvalId: null,
  confirmAnswer: null,
};

export interface Key {
  name: string;
  sequence: string;
  ctrl?: boolean;
  shift?: boolean;
  meta?: boolean;
}

/** What the screen holds right now, in display order. */
export interface KeyContext {
  agentIds: readonly string[];
  swarmIds: readonly string[];
  eventIds: readonly string[];
  /** Indexes into eventIds of the events matching the search. */
  matches: readonly number[];
  /** The pending approvals, in the overlay's order. */
  approvalIds: readonly string[];
  /** The side names of each pending merge approval, by id (other kinds are absent). */
  mergeSides?: ReadonlyMap<string, readonly string[]>;
  /** Why an agent cannot be killed (it has finished), or null when it can. */
  whyNotKill?: (agentId: string) => string | null;
}

export type Effect =
  | { type: "quit" }
  | { type: "kill"; agentId: string }
  | ({ type: "answer" } & Answer)
  | { type: "refresh" }
  | { type: "notice"; text: string };
export interface KeyResult {
  ui: UiState;
  effect?: Effect;
}

/** The help overlay's rows: key, what it does. */
export const HELP: readonly (readonly [string, string])[] = [
  ["j / ↓", "move selection down"],
  ["k / ↑", "move selection up"],
  ["g / G", "first / last item"],
  ["Enter", "agent details"],
  ["x", "kill the selected agent (asks first)"],
  ["r", "refresh from the server"],
  ["s", "sort by name, status, cost"],
  ["[ / ]", "previous / next swarm"],
  ["1-4", "views: grid, logs, details, settings"],
  ["a", "auto-scroll events on/off"],
  ["A", "approvals waiting for an answer"],
  ["y / n", "in approvals: approve / deny (asks)"],
  ["1-9", "in a merge approval: keep side (asks)"],
  ["/", "search events (Enter, Esc)"],
  ["n / N", "next / previous match"],
  ["?", "this help"],
  ["q / Ctrl+C", "quit"],
];

function jumpToMatch(ui: UiState, ctx: KeyContext, forward: boolean): UiState {
  if (ctx.matches.length === 0) return ui;
  const at = ui.eventId === null || ui.autoScroll ? ctx.eventIds.length : ctx.eventIds.indexOf(ui.eventId);
  const next = forward
    ? (ctx.matches.find((i) => i > at) ?? ctx.matches[0])
    : (ctx.matches.findLast((i) => i < at) ?? ctx.matches.at(-1));
  return { ...ui, autoScroll: false, eventId: ctx.eventIds[next ?? 0] ?? null };
}

function typing(ui: UiState, key: Key, ctx: KeyContext): KeyResult {
  const draft = ui.draft ?? "";
  if (key.name === "escape") return { ui: { ...ui, draft: null } };
  if (key.name === "return") {
    const searched = { ...ui, search: draft, draft: null };
    const matches = draft ? ctx.matches : [];
    return { ui: draft ? jumpToMatch(searched, { ...ctx, matches }, false) : searched };
  }
  if (key.name === "backspace") return { ui: { ...ui, draft: draft.slice(0, -1) } };
  const printable = key.sequence.length === 1 && key.sequence >= " " && !key.ctrl && !key.meta;
  return printable ? { ui: { ...ui, draft: draft + key.sequence } } : { ui };
}

export function onKey(ui: UiState, key: Key, ctx: KeyContext): KeyResult {
  if (key.ctrl && key.name === "c") return { ui, effect: { type: "quit" } };
  if (ui.confirmKill !== null) {
    const yes = key.name === "y" || key.name === "return";
    const agentId = ui.confirmKill;
    return { ui: { ...ui, confirmKill: null }, effect: yes ? { type: "kill", agentId } : undefined };
  }
  if (ui.confirmAnswer !== null) return answering(ui, key);
  if (ui.draft !== null) return typing(ui, key, ctx);
  if (key.name === "q") return { ui, effect: { type: "quit" } };
  if (ui.help) return { ui: key.name === "?" || key.name === "escape" ? { ...ui, help: false } : ui };
  if (ui.approvals) return approvalsKey(ui, key, ctx);
  const n = Number(key.sequence);
  if (n >= 1 && n <= 4 && key.sequence.length === 1) return { ui: { ...ui, view: VIEWS[n - 1] as View } };
  const onEvents = ui.view === "logs";
  const step = (by: number): UiState => {
    if (!onEvents) return { ...ui, selectedId: stepSelection(ctx.agentIds, ui.selectedId, by) };
    const eventId = stepSelection(
      ctx.eventIds,
      ui.autoScroll ? (ctx.eventIds.at(-1) ?? null) : ui.eventId,
      by,
    );
    // Back at the newest event, the stream follows again.
    return { ...ui, eventId, autoScroll: eventId === (ctx.eventIds.at(-1) ?? null) };
  };
  switch (key.name) {
    case "?":
      return { ui: { ...ui, help: true } };
    case "j":
    case "down":
      return { ui: step(1) };
    case "k":
    case "up":
      return { ui: step(-1) };
    case "g":
      return { ui: step(key.shift ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY) };
    case "home":
      return { ui: step(Number.NEGATIVE_INFINITY) };
    case "end":
      return { ui: step(Number.POSITIVE_INFINITY) };
    case "return":
      return { ui: ui.view === "grid" && ui.selectedId ? { ...ui, view: "details" } : ui };
    case "escape":
      return { ui: { ...ui, view: "grid", search: ui.view === "logs" ? ui.search : "" } };
    case "x": {
      if (!ui.selectedId || onEvents) return { ui };
      const why = ctx.whyNotKill?.(ui.selectedId) ?? null;
      return why
        ? { ui, effect: { type: "notice", text: why } }
        : { ui: { ...ui, confirmKill: ui.selectedId } };
    }
    case "r":
      return { ui, effect: { type: "refresh" } };
    case "s":
      return { ui: { ...ui, sortBy: cycle(SORTS, ui.sortBy, 1) } };
    case "[":
    case "]": {
      const swarms = [null, ...ctx.swarmIds];
      return { ui: { ...ui, swarmId: cycle(swarms, ui.swarmId, key.name === "]" ? 1 : -1) } };
    }
    case "a":
      // PRD §4.3: `a` toggles auto-scroll; Shift+A lists the approvals.
      if (key.shift) return { ui: { ...ui, approvals: true } };
      return {
        ui: { ...ui, autoScroll: !ui.autoScroll, eventId: ui.eventId ?? ctx.eventIds.at(-1) ?? null },
      };
    case "/":
      return { ui: { ...ui, draft: "" } };
    case "n":
      return { ui: jumpToMatch(ui, ctx, !key.shift) };
    default:
      return { ui };
  }
}
