import type { Metering } from "../../domain/agent.ts";
import type { ModelCallResponse } from "../../domain/model-call.ts";
import { clock, money } from "./format.ts";

/** An agent's most recent model calls through the gateway, newest first, as the details show them. */
export interface AgentCalls {
  calls: readonly ModelCallResponse[];
  /** Older calls exist beyond the page that was loaded. */
  more: boolean;
}

const count = (n: number) => n.toLocaleString("en-US");

/** Allowed fewer output tokens than it asked for: its budget had less room than that. */
export const isCapped = (call: ModelCallResponse): boolean =>
  call.maxTokens !== null && call.requestedMaxTokens !== null && call.maxTokens < call.requestedMaxTokens;

/** What the `metering` row says: how far the agent's budget can be trusted. */
export function meteringText(metering: Metering | null): string {
  if (metering === "gateway") return "gateway: each call admitted before it is made";
  if (metering === "reports") return "reports: counted from what it reports";
  return "-";
}

/** A call's cost to the tenth of a cent: most cost less than one. */
const callCost = (usd: number) => (Math.abs(usd) < 1 ? `$${usd.toFixed(4)}` : money(usd));

/** `in 1,204 / out 310 (capped from 1,000) $0.0049 412 ms`; a refused call says what it asked. */
export function callFigures(call: ModelCallResponse): string {
  if (call.status === "refused") {
    const asked = call.requestedMaxTokens === null ? "" : ` (asked out ${count(call.requestedMaxTokens)})`;
    return `refused${asked}`;
  }
  const capped = isCapped(call) ? ` (capped from ${count(call.requestedMaxTokens ?? 0)})` : "";
  if (call.status === "open") {
    return `in flight${call.maxTokens === null ? "" : `, out up to ${count(call.maxTokens)}`}${capped}`;
  }
  const parts = [`in ${count(call.promptTokens)} / out ${count(call.completionTokens)}${capped}`];
  parts.push(callCost(call.cost));
  if (call.latencyMs !== null) parts.push(`${count(call.latencyMs)} ms`);
  // Lost (the server stopped mid-call) or released (the upstream failed): said, since no usage came.
  if (call.status !== "settled") parts.push(call.status);
  return parts.join(" ");
}

/**
 * The `calls` row: `12 calls · 1 refused · 2 capped · last <model> <figures>`. The counts are of the page
 * loaded (the newest ones; `50+` when there are older), which is what the lines below list.
 */
export function callsSummary(page: AgentCalls | null, metering: Metering | null): string {
  if (!page || page.calls.length === 0) return metering === "gateway" && page ? "none yet" : "-";
  const { calls } = page;
  const refused = calls.filter((c) => c.status === "refused").length;
  const capped = calls.filter(isCapped).length;
  const open = calls.filter((c) => c.status === "open").length;
  const parts = [`${calls.length}${page.more ? "+" : ""} call${calls.length === 1 ? "" : "s"}`];
  if (refused > 0) parts.push(`${refused} refused`);
  if (capped > 0) parts.push(`${capped} capped`);
  if (open > 0) parts.push(`${open} in flight`);
  const last = calls[0];
  if (last) parts.push(`last ${last.model} ${callFigures(last)}`);
  return parts.join(" · ");
}

/** One line of the calls list: `10:42:01 claude-sonnet-4-5 in 1,204 / out 310 $0.0049 412 ms`. */
export function callLine(call: ModelCallResponse, withTime: boolean): string {
  return `${withTime ? `${clock(call.startedAt)} ` : ""}${call.model} ${callFigures(call)}`;
}
