/** @jsxImportSource react */
import type { ConnectionState } from "../../dashboard/model/store.ts";

const LABELS: Record<ConnectionState, string> = {
  connecting: "◌ connecting",
  live: "● live",
  reconnecting: "◌ reconnecting",
  offline: "○ offline",
};

/** live / reconnecting / offline, as the terminal dashboard's header says it. */
export function ConnectionBadge({ state }: { state: ConnectionState }) {
  return (
    <output className={`connection connection-${state}`} data-state={state} aria-live="polite">
      {LABELS[state]}
    </output>
  );
}
