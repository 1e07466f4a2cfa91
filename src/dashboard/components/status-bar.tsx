import type { SortBy, View } from "../keybindings.ts";
import { clock, fit } from "../model/format.ts";
import { COLORS } from "../theme.ts";

export interface StatusBarProps {
  view: View;
  sortBy: SortBy;
  autoScroll: boolean;
  /** The search being typed (null: not typing). */
  draft: string | null;
  search: string;
  matches: number;
  notice: string | null;
  lastUpdate: number | null;
  width: number;
}

const VIEW_LABELS: Record<View, string> = {
  grid: "1 grid",
  logs: "2 logs",
  details: "3 details",
  settings: "4 settings",
};

/** The current view, the key hints (or the search being typed), and when data last changed. */
export function StatusBar(props: StatusBarProps) {
  const { view, sortBy, autoScroll, draft, search, matches, notice, lastUpdate, width } = props;
  const right = lastUpdate === null ? " no data yet" : ` updated ${clock(lastUpdate)}`;
  const room = Math.max(0, width - right.length);
  const found = `${matches} match${matches === 1 ? "" : "es"}`;
  if (draft !== null) {
    const hint = `  ${found} · Enter search · Esc cancel`;
    return (
      <text height={1}>
        <span fg={COLORS.accent}>/</span>
        <span fg={COLORS.text}>{draft}</span>
        <span fg={COLORS.accent}>█</span>
        <span fg={COLORS.dim}>{fit(hint, Math.max(0, room - draft.length - 2))}</span>
        <span fg={COLORS.dim}>{right}</span>
      </text>
    );
  }
  const label = `[${VIEW_LABELS[view]}]`;
  // A notice (a failed kill, a refresh) takes the place of the hints until it expires.
  const hints = notice
    ? ` ${notice}`
    : ` sort:${sortBy} · follow:${autoScroll ? "on" : "off"}${search ? ` · /${search} ${found}` : ""} · ? help · q quit`;
  return (
    <text height={1}>
      <span fg={COLORS.accent}>{label}</span>
      <span fg={notice ? COLORS.warn : COLORS.dim}>{fit(hints, Math.max(0, room - label.length))}</span>
      <span fg={COLORS.dim}>{right}</span>
    </text>
  );
}
