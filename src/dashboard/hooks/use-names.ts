import { useCallback } from "react";
import type { DashboardView } from "../model/store.ts";

/** An agent's or a swarm's name by its id (undefined when neither is known), for lines that name who. */
export function useNames(view: DashboardView): (id: string) => string | undefined {
  return useCallback(
    (id: string) => view.agentsById.get(id)?.name ?? view.swarmsById.get(id)?.name,
    [view.agentsById, view.swarmsById],
  );
}
