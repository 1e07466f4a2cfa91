import type { AgentRecord } from "../domain/agent.ts";
import type { CallEnd, ModelCallRecord } from "../domain/model-call.ts";
import { fromUnits } from "../domain/money.ts";
import type { ChainBudget } from "../safety/budget.ts";
import { type CallAsk, type CallGrant, grantCall } from "../safety/call-admission.ts";
import type { CallAdmission, CallSettlement } from "../storage/call-store.ts";
import { chargeChain } from "./metering.ts";
import { usageEvent } from "./reports.ts";
import { decideAgentMove } from "./transitions.ts";

/**
 * The write path's decisions for gateway calls (issue 23), run inside the transaction that reads
 * the agent and its budget chain. Admission reserves the call's worst case or refuses it; a
 * refusal for money ends the agent (killed, reason budget) in the same transaction, so no later
 * call of its can slip in. Settlement spends what the provider said the call used and releases
 * the rest of the reservation by closing the call.
 */

/** Why a call was refused, for the provider-shaped error the gateway answers with. */
export interface CallRefusal {
  reason: "budget" | "agent";
  message: string;
}

export interface AdmissionDecision {
  change: CallAdmission | null;
  grant: CallGrant | { kind: "refuse-agent"; message: string };
}

export function decideCallAdmission(
  agent: AgentRecord,
  chain: ChainBudget[],
  ask: CallAsk,
  final: boolean,
  now: number,
): AdmissionDecision {
  if (agent.status !== "running" && agent.status !== "spawning") {
    // Stopped by its budget: a call in its last moments gets the same refusal, not an auth error
    // (a CLI would report that as a bad key).
    if ((agent.error as { reason?: unknown } | null)?.reason === "budget") {
      const message = `Dash budget: agent ${agent.id} was stopped by its budget`;
      return { change: refused(message, 400), grant: { kind: "refuse", budget: null, message } };
    }
    const message = `agent ${agent.id} is ${agent.status}: only a running agent may call a model`;
    return { change: refused(message, 403), grant: { kind: "refuse-agent", message } };
  }
  const grant = grantCall(chain, ask, final, agent.reservedUnits);
  if (grant.kind === "wait") return { change: null, grant };
  if (grant.kind === "admit") {
    const call = {
      status: "open" as const,
      maxTokens: grant.maxTokens,
      reservedUnits: grant.reserveUnits,
      error: null,
      httpStatus: null,
    };
    return { change: { call, events: [] }, grant };
  }
  const b = grant.budget;
  const facts = b
    ? ` (the ${b.entityType} budget of ${b.entityId}: ${fromUnits(b.spentUnits, b.currency)} spent of ${fromUnits(b.allocatedUnits, b.currency)} ${b.currency})`
    : "";
  const message = `Dash budget: ${grant.message}${facts}; the agent is stopped`;
  const error = { reason: "budget", message, willRetry: false };
  const move = decideAgentMove(agent, { to: "killed", reason: `budget: ${grant.message}`, error }, now);
  const change = refused(message, 400);
  return { change: { ...change, agent: move.patch, events: move.events }, grant };
}

function refused(message: string, httpStatus: number): CallAdmission {
  const call = { status: "refused" as const, maxTokens: null, reservedUnits: 0, error: message, httpStatus };
  return { call, events: [] };
}

/** Spends a call's usage on its agent and every budget above it; the reservation goes with the open row. */
export function decideCallSettlement(
  call: ModelCallRecord,
  agent: AgentRecord,
  chain: ChainBudget[],
  end: CallEnd,
): CallSettlement {
  const tokens = end.promptTokens + end.completionTokens;
  if (end.status !== "settled" || (tokens === 0 && end.costMicros === 0)) {
    return { call: end, agent: {}, budgets: [], events: [] };
  }
  const { spent, events } = chargeChain(chain, tokens, end.costMicros);
  const patch = {
    promptTokens: agent.promptTokens + end.promptTokens,
    completionTokens: agent.completionTokens + end.completionTokens,
    costMicros: agent.costMicros + end.costMicros,
  };
  const usage = {
    model: call.model,
    promptTokens: end.promptTokens,
    completionTokens: end.completionTokens,
    costUsd: fromUnits(end.costMicros, "USD"),
  };
  const event = usageEvent({ ...agent, ...patch }, usage, end.costMicros);
  event.data.callId = call.id;
  return {
    call: end,
    agent: patch,
    budgets: spent.map(({ budget, after, alertLevel }) => ({
      budget,
      patch: { spentUnits: after.spentUnits, alertLevel },
    })),
    events: [event, ...events],
  };
}
