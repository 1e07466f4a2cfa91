/** @jsxImportSource react */
import { memo, useMemo } from "react";
import { describeEvent, type EventLine } from "../../dashboard/model/describe-event.ts";
import { clock } from "../../dashboard/model/format.ts";
import type { DashEvent } from "../../domain/event.ts";
import { SearchField } from "./search-field.tsx";

export interface EventListProps {
  events: readonly DashEvent[];
  names: (id: string) => string | undefined;
  search: string;
  onSearch: (search: string) => void;
}

/** At most this many lines in the page; the log keeps the last 1,000 events to search in. */
const SHOWN = 300;

interface Line extends EventLine {
  type: string;
  haystack: string;
}

/** The event stream, newest first, with a search over who, type and what (any case, every word). */
export function EventList({ events, names, search, onSearch }: EventListProps) {
  const lines = useMemo<Line[]>(
    () =>
      events.map((event) => {
        const line = describeEvent(event, names);
        const haystack = `${line.who} ${event.type} ${line.level} ${line.text}`.toLowerCase();
        return { ...line, type: event.type, haystack };
      }),
    [events, names],
  );
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const matching =
    words.length === 0 ? lines : lines.filter((l) => words.every((w) => l.haystack.includes(w)));
  const shown = matching.slice(-SHOWN).reverse();
  return (
    <section className="events" aria-label="events">
      <search className="toolbar">
        <SearchField
          id="event-search"
          label="Search"
          placeholder="agent, type, text… ( / )"
          value={search}
          onChange={onSearch}
        />
        <output className="count" aria-live="polite">
          {words.length === 0 ? `${lines.length} events` : `${matching.length} of ${lines.length} events`}
        </output>
      </search>
      <ol className="event-lines" aria-live="off">
        {shown.map((line) => (
          <EventRow key={line.id} line={line} />
        ))}
      </ol>
    </section>
  );
}

const EventRow = memo(function EventRow({ line }: { line: Line }) {
  return (
    <li data-event-id={line.id} data-type={line.type} className={`level-${line.level}`}>
      <time dateTime={line.time}>{clock(line.time)}</time> <span className="who">{line.who}</span>{" "}
      <span className="type">{line.type}</span> <span className="text">{line.text}</span>
    </li>
  );
});
