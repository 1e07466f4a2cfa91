import { useSyncExternalStore } from "react";
import type { DashboardStore, DashboardView } from "../model/store.ts";

/** The store's current view; the component re-renders once per batch the store publishes. */
export function useDashboardView(store: DashboardStore): DashboardView {
  return useSyncExternalStore(store.subscribe, store.getView);
}
