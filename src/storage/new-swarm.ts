import type { NewEvent } from "../domain/event.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import type { Change, NewSwarm, SwarmPatch } from "./store.ts";

/**
 * The swarm row insertSwarm writes, worked out before the INSERT: the new swarm as it would be
 * read back (version 1, its agents counted), then, when `start` is given, moved on as an UPDATE
 * would leave it (patched, updated_at = now, version 2). One INSERT of the final row instead of
 * INSERT, SELECT, UPDATE, SELECT: the same row, the same events in the same order, less work on
 * the path of every POST /api/swarm.
 */
export function plannedSwarm(
  swarm: NewSwarm,
  agentCount: number,
  now: number,
  start?: (created: SwarmRecord) => Change<SwarmPatch>,
): { record: SwarmRecord; events: NewEvent[] } {
  const created: SwarmRecord = { ...swarm, agentCount, version: 1 };
  if (!start) return { record: created, events: [] };
  const { patch, events } = start(created);
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  return { record: { ...created, ...defined, updatedAt: now, version: 2 }, events };
}
