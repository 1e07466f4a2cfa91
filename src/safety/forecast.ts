import type { AgentRecord } from "../domain/agent.ts";
import type { BudgetRecord, Forecast } from "../domain/budget.ts";
import type { NewEvent } from "../domain/event.ts";
import { LIVE_AGENT_STATUSES } from "../domain/states.ts";
import type { BudgetPatch, Change } from "../storage/store.ts";
import { budgetFacts } from "./budget.ts";

/** The burn rate's time constant, minutes: an EWMA over about the last 5 minutes. */
export const WINDOW_MIN = 5;

/**
 * What a budget's agents will have spent when the live ones finish, from their progress
 * (cost so far ÷ fraction done), when every live agent reports progress; null otherwise.
 */
export function progressProjection(agents: AgentRecord[]): number | null {
  const live = agents.filter((a) => LIVE_AGENT_STATUSES.has(a.status));
  if (live.length === 0 || !live.every((a) => a.progressTotal > 0 && a.progressCurrent > 0)) return null;
  const ended = agents.filter((a) => !LIVE_AGENT_STATUSES.has(a.status) && a.status !== "idle");
  const projected = live.map((a) => (a.costMicros * a.progressTotal) / a.progressCurrent);
  const perAgent = projected.reduce((n, v) => n + v, 0) / live.length;
  const queued = agents.filter((a) => a.status === "idle").length;
  return Math.round(
    ended.reduce((n, a) => n + a.costMicros, 0) + projected.reduce((n, v) => n + v, 0) + queued * perAgent,
  );
}

/**
 * One sample of a budget's spend: the burn rate (units/min) as an exponentially weighted moving
 * average over WINDOW_MIN, corrected for warm-up so a steady rate reads right from the first
 * samples; the projection (`progress` when the agents report it, else what will have been spent
 * WINDOW_MIN from now at this rate) and the minutes left. When the projection first reaches the
 * allocation while the spend has not, `budget.projected` fires (once, until it drops back below).
 */
export function decideForecast(
  b: BudgetRecord,
  now: number,
  progress: number | null,
): Change<BudgetPatch> | null {
  const prev = b.forecast;
  if (!prev) {
    // Sampling starts with the first spend, so the time before the agents started does not count.
    if (b.spentUnits === 0) return null;
    const forecast: Forecast = {
      ewma: 0,
      since: now,
      at: now,
      spent: b.spentUnits,
      minutesLeft: null,
      projectedAlerted: false,
    };
    return { patch: { forecast }, events: [] };
  }
  const minutes = (now - prev.at) / 60_000;
  const delta = Math.max(0, b.spentUnits - prev.spent);
  if (minutes <= 0 || (delta === 0 && prev.ewma === 0)) return null;
  const decay = Math.exp(-minutes / WINDOW_MIN);
  const raw = prev.ewma * decay + delta / WINDOW_MIN;
  const ewma = raw < 1e-6 ? 0 : raw;
  const weight = 1 - Math.exp(-(now - prev.since) / 60_000 / WINDOW_MIN);
  const rate = weight > 0 ? ewma / weight : 0;
  const left = b.allocatedUnits - b.spentUnits;
  const minutesLeft = rate > 0 ? Math.max(0, left / rate) : null;
  const projected = Math.round(progress ?? b.spentUnits + rate * WINDOW_MIN);
  const crosses = projected >= b.allocatedUnits && b.spentUnits < b.allocatedUnits;
  const events: NewEvent[] = [];
  if (crosses && !prev.projectedAlerted) {
    const data = {
      ...budgetFacts(b),
      projected: projected / (b.currency === "USD" ? 1e6 : 1),
      burnRatePerMinute: rate / (b.currency === "USD" ? 1e6 : 1),
      minutesLeft,
      basis: progress === null ? "burn rate" : "progress",
      action: b.projectedAction,
    };
    events.push({ type: "budget.projected", source: b.entityId, data });
  }
  const forecast: Forecast = {
    ewma,
    since: prev.since,
    at: now,
    spent: b.spentUnits,
    minutesLeft,
    projectedAlerted: crosses && (prev.projectedAlerted || events.length > 0),
  };
  return { patch: { burnRate: rate, projectedFinalUnits: projected, forecast }, events };
}
