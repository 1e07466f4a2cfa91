import { memo, useRef } from "react";
import type { EventLine } from "../model/describe-event.ts";
import { clock, fit } from "../model/format.ts";
import { windowStart } from "../model/sort-agents.ts";
import { COLORS, LEVEL_COLOR } from "../theme.ts";

export interface EventStreamProps {
  lines: readonly EventLine[];
  width: number;
  height: number;
  /** Follow the newest event; off, the window stays on `cursorId`. */
  autoScroll: boolean;
  cursorId: string | null;
  /** Matches of this text are highlighted (case-insensitive). */
  search: string;
}

/** The text of a line as shown, so search and display agree on what matches. */
export function eventText(line: EventLine, width = 200): string {
  return `[${clock(line.time)}] ${fit(line.who, 12)} ${line.level.toUpperCase().padEnd(5)} ${line.text}`.slice(
    0,
    width,
  );
}

/** Splits `text` around the matches of `search`: [plain, match, plain, match, …]. */
export function splitMatches(text: string, search: string): string[] {
  if (!search) return [text];
  const parts: string[] = [];
  const lower = text.toLowerCase();
  const needle = search.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, at)) {
    parts.push(text.slice(at, i), text.slice(i, i + needle.length));
    at = i + needle.length;
  }
  parts.push(text.slice(at));
  return parts;
}

const Line = memo(function Line(props: { line: EventLine; width: number; search: string; cursor: boolean }) {
  const { line, width, search, cursor } = props;
  const parts = splitMatches(fit(eventText(line, width), width), search);
  return (
    <text bg={cursor ? COLORS.selected : undefined} fg={LEVEL_COLOR[line.level]}>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one line have no other identity
          <span key={i} bg={COLORS.match} fg="#000000">
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </text>
  );
});

/** The newest events that fit, or the window around the cursor when not following. */
export function EventStream({ lines, width, height, autoScroll, cursorId, search }: EventStreamProps) {
  const start = useRef(0);
  const cursor =
    autoScroll || cursorId === null ? lines.length - 1 : lines.findIndex((l) => l.id === cursorId);
  start.current = autoScroll
    ? Math.max(0, lines.length - height)
    : windowStart(start.current, cursor, height, lines.length);
  const shown = lines.slice(start.current, start.current + height);
  return (
    <box flexDirection="column" width={width} height={height}>
      {shown.map((line) => (
        <Line
          key={line.id}
          line={line}
          width={width}
          search={search}
          cursor={!autoScroll && line.id === cursorId}
        />
      ))}
      {lines.length === 0 ? <text fg={COLORS.dim}>No events yet.</text> : null}
    </box>
  );
}
