import type { EventType } from "../domain/event.ts";

type Data = Record<string, unknown>;

const money = (value: unknown, currency: unknown) =>
  currency === "tokens" ? `${Number(value)} tokens` : `$${Number(value ?? 0).toFixed(2)}`;

const who = (d: Data) =>
  [d.agentId ? `agent ${d.agentId}` : "", d.swarmId ? `swarm ${d.swarmId}` : ""].filter(Boolean).join(" in ");

const budgetOf = (d: Data) =>
  `${d.entityType ?? "budget"} ${d.entityId ?? ""}: ${money(d.spent, d.currency)} of ${money(d.allocated, d.currency)} (${d.percent}%)`;

const answer = (d: Data) =>
  `Answer: dash approvals approve ${d.approvalId}  (or: dash approvals deny ${d.approvalId})`;

/** One or two lines for a person: what happened, and the command that acts on it. */
export function describe(type: EventType, d: Data): string {
  switch (type) {
    case "approval.requested":
      return `Approval needed: "${d.title}" (${who(d) || d.kind}). ${answer(d)}`;
    case "approval.escalated":
      return `Escalated, still unanswered: "${d.title}" (${who(d) || d.kind}). ${answer(d)}`;
    case "approval.resolved":
      return `Approval ${d.status ?? "answered"}: "${d.title}"${d.reason ? ` (${d.reason})` : ""}`;
    case "budget.threshold":
      return `Budget ${d.level} reached for ${budgetOf(d)}; action: ${d.action}`;
    case "budget.exceeded":
      return `Budget exceeded for ${budgetOf(d)}; action: ${d.action}`;
    case "budget.projected":
      return `Budget predicted to run out for ${budgetOf(d)}: projected ${money(d.projected, d.currency)}${
        typeof d.minutesLeft === "number" ? `, about ${Math.ceil(d.minutesLeft)} min left` : ""
      }`;
    case "swarm.completed":
    case "swarm.failed":
      return `Swarm ${d.name ?? d.swarmId} ${String(d.status ?? type.slice(6))}${d.reason ? `: ${d.reason}` : ""}`;
    default:
      return `${type} ${who(d)}`.trim();
  }
}
