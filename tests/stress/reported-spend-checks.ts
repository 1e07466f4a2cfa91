import type { EventRecord } from "../../src/domain/event.ts";
import { processState } from "../../src/runtimes/process.ts";
import { until } from "../helpers.ts";
import type { Happening, World } from "./reported-spend-world.ts";

/** What the reported-spend tests check on a world's timeline (reported-spend-world.ts). */

type EventHappening = Extract<Happening, { kind: "event" }>;

/** Micro-dollars of a usage event's cost (events carry dollars). */
export const microsOf = (e: EventRecord) => Math.round(Number(e.data.cost) * 1e6);

/** The agent's events, in order. */
export const eventsOf = (w: World, agentId: string) =>
  w.timeline.filter((h): h is EventHappening => h.kind === "event" && h.event.data.agentId === agentId);

/** The agent's events on one line (type, its reservation after, transaction), for a failure's log. */
export const story = (w: World, agentId: string) =>
  `${agentId}: ${eventsOf(w, agentId)
    .map((h) => `${h.event.type}:${h.reservedAfter ?? "-"}@${h.batch}`)
    .join(" ")}`;

/** Whether a usage event's transaction crossed a threshold that pauses or kills. */
export const crossedStop = (w: World, usage: EventHappening) =>
  w.timeline.some(
    (h) =>
      h.kind === "event" &&
      h.batch === usage.batch &&
      h.event.type === "budget.threshold" &&
      ["pause", "kill"].includes(String(h.event.data.action)),
  );

/**
 * How the agent was stopped, checked: its first hold or kill (`stop`); the report of its own that
 * caused it in the same transaction (`own`), or null when the budget's action stopped it because
 * of other agents' reports; the reports applied after the stop (`late`: written before it took
 * effect). Throws what is wrong: a report applied while it ran on after one that left no room or
 * crossed a stopping threshold, a resume or progress after the stop, or no SIGSTOP (or kill) before
 * its next report was applied.
 */
export function checkStoppedAtOnce(w: World, agentId: string) {
  const mine = eventsOf(w, agentId);
  const stopAt = mine.findIndex((h) => ["agent.paused", "agent.killed"].includes(h.event.type));
  const fail = (what: string) => new Error(`${what}\n${story(w, agentId)}`);
  if (stopAt < 0) throw fail(`agent ${agentId} was never stopped`);
  const stop = mine[stopAt] as EventHappening;
  const running = mine.slice(0, stopAt).filter((h) => h.event.type === "agent.usage");
  // Every report applied while it ran, but the last, left room and crossed no stopping threshold.
  for (const usage of running.slice(0, -1)) {
    if (usage.reservedAfter === 0 || crossedStop(w, usage))
      throw fail(`agent ${agentId} ran on after the report of event ${usage.event.id}`);
  }
  const last = running.at(-1);
  const own = last && last.batch === stop.batch ? last : null;
  if (last && !own && (last.reservedAfter === 0 || crossedStop(w, last)))
    throw fail(`agent ${agentId} was not stopped by the report that passed (${last.event.id})`);
  const after = mine.slice(stopAt + 1);
  const bad = after.find((h) => ["agent.resumed", "agent.progress", "agent.started"].includes(h.event.type));
  if (bad) throw fail(`agent ${agentId} had ${bad.event.type} after it was stopped`);
  const pgid = w.pids.get(agentId);
  const next = after.find((h) => h.event.type === "agent.usage");
  const signal = w.timeline.find(
    (h) =>
      h.kind === "signal" &&
      pgid !== undefined &&
      (h.pgid === pgid || h.ancestors.includes(pgid)) &&
      h.seq > stop.seq &&
      h.signal !== "SIGCONT",
  );
  // An agent the budget's kill reached before it started has no process to signal.
  if (pgid !== undefined && (!signal || (next && signal.seq > next.seq)))
    throw fail(`agent ${agentId}: no SIGSTOP (or kill) before its next report was applied`);
  return { stop, own, signal, late: after.filter((h) => h.event.type === "agent.usage") };
}

/** Waits until the agent's process is stopped (T) or gone, as /proc says. */
export async function processStopped(pid: number, ms = 5000): Promise<string> {
  let state: string | null = null;
  await until(() => {
    state = processState(pid);
    return state === null || state === "T" || state === "Z";
  }, ms);
  return state ?? "gone";
}
