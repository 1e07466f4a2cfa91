import { useMemo } from "react";
import type { UiState } from "../keybindings.ts";
import { fit } from "../model/format.ts";
import { mergeSidesOf } from "../model/merge-ask.ts";
import type { DashboardView } from "../model/store.ts";
import { useNames } from "./use-names.ts";
import { useNow } from "./use-now.ts";

export interface ApprovalsData {
  /** The pending requests' ids, in the overlay's order. */
  ids: string[];
  /** The side names of each merge approval, by id: what its 1–9 keys pick. */
  mergeSides: ReadonlyMap<string, readonly string[]>;
  /** The selected request (the first when none is, or it was answered meanwhile). */
  selectedId: string | null;
  names: (id: string) => string | undefined;
  /** What the confirm dialog asks before an answer is sent, or null. */
  question: string | null;
  /** The clock the overlay counts the time left from: it ticks every `everyMs` while open. */
  now: number;
}

/** What the approvals overlay and its confirm dialog show, derived from the view and the UI state. */
export function useApprovals(view: DashboardView, ui: UiState, everyMs = 1000): ApprovalsData {
  const ids = useMemo(() => view.approvals.map((a) => a.id), [view.approvals]);
  const mergeSides = useMemo(() => mergeSidesOf(view.approvals), [view.approvals]);
  const selectedId = ui.approvalId !== null && ids.includes(ui.approvalId) ? ui.approvalId : (ids[0] ?? null);
  const names = useNames(view);
  const ask = ui.confirmAnswer;
  const title = ask ? (view.approvals.find((a) => a.id === ask.approvalId)?.title ?? ask.approvalId) : "";
  const question = !ask
    ? null
    : ask.choice !== undefined
      ? `Approve keeping ${fit(ask.choice, 40).trimEnd()} in this merge?`
      : `${ask.verb === "approve" ? "Approve" : "Deny"} "${fit(title, 56).trimEnd()}"?`;
  const now = useNow(ui.approvals, everyMs);
  return { ids, mergeSides, selectedId, names, question, now };
}
