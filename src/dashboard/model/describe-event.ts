import type { DashEvent } from "../../domain/event.ts";
import { money } from "./format.ts";
import { mergeChoiceOf } from "./merge-ask.ts";

export type EventLevel = "info" | "warn" | "error";

export interface EventLine {
  id: string;
  time: string;
  /** The agent's or swarm's name (else the event's source id). */
  who: string;
  level: EventLevel;
  text: string;
}

const ERROR = /failed|exceeded|error|killed/;
const WARN = /threshold|paused|retrying|projected|approval\.requested|destroyed/;

export function levelOf(type: string): EventLevel {
  if (ERROR.test(type)) return "error";
  if (WARN.test(type)) return "warn";
  return "info";
}

type Data = Record<string, unknown>;
const num = (v: unknown) => (typeof v === "number" ? v : 0);
const str = (v: unknown) =>
  typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v);
const list = (v: unknown) => (Array.isArray(v) ? v.map(str) : []);

/** What happened, in a few words: the event stream's text column. */
function textOf(event: DashEvent): string {
  const d = event.data as Data;
  switch (event.type) {
    case "agent.progress": {
      const p = (d.progress ?? {}) as Data;
      return `progress ${num(p.current)}/${num(p.total)} (${num(p.percentage)}%)`;
    }
    case "agent.usage":
      return `usage ${money(num(d.cost))} · ${(num(d.promptTokens) + num(d.completionTokens)).toLocaleString("en-US")} tok`;
    case "agent.failed":
      return `failed${d.error ? `: ${str((d.error as Data).message ?? d.error)}` : ""}`;
    case "agent.spawned":
      return `spawned${d.task ? `: ${str(d.task)}` : ""}`;
    case "swarm.created":
      return `swarm created (${num(d.agentCount)} agents)`;
    case "swarm.scaled":
      return `scaled ${num(d.from)} → ${num(d.to)}`;
    case "budget.threshold":
    case "budget.exceeded":
      return `budget ${str(d.level)} at ${num(d.percent)}%${d.action ? ` → ${str(d.action)}` : ""}`;
    case "budget.allocated":
      return `budget +${num(d.added)}`;
    case "approval.requested":
      return d.kind === "merge" ? mergeAsked(d) : `asks: ${str(d.title)}`;
    case "approval.resolved": {
      const kept = d.choice ? ` keeping ${str(d.choice)}` : "";
      return `${str(d.status)}${kept}: ${str(d.title)}${d.reason ? ` (${str(d.reason)})` : ""}`;
    }
    case "swarm.merged": {
      const over = list(d.overridden);
      const overriding = over.length > 0 ? ` (over ${over.join(", ")})` : "";
      return `merged ${list(d.merged).join(", ") || "branches"} into ${str(d.target)}${overriding}`;
    }
    default:
      return `${event.type.split(".")[1] ?? event.type}${d.reason ? ` (${str(d.reason)})` : ""}`;
  }
}

/** A merge that stopped on a conflict: where, on which files, and the sides to pick from. */
function mergeAsked(d: Data): string {
  const merge = mergeChoiceOf(d.details);
  if (!merge) return `asks: ${str(d.title)}`;
  const sides = merge.sides.map((s) => s.name).join(" or ");
  return `merge into ${merge.target} stopped on ${merge.files.join(", ")}: keep ${sides}? (Shift+A)`;
}

/** A display line for one event; `names` maps agent and swarm ids to names. */
export function describeEvent(event: DashEvent, names: (id: string) => string | undefined): EventLine {
  const d = event.data as Data;
  const id = str(d.agentId) || str(d.swarmId) || event.source;
  return {
    id: event.id,
    time: event.timestamp,
    who: names(id) ?? (str(d.name) || event.source),
    level: levelOf(event.type),
    text: textOf(event),
  };
}
