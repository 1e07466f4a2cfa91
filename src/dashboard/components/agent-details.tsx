import type { AgentResponse } from "../../domain/agent.ts";
import { failureLine } from "../../domain/agent-failure.ts";
import type { ModelCallResponse } from "../../domain/model-call.ts";
import { type AgentCalls, callLine, callsSummary, isCapped, meteringText } from "../model/calls.ts";
import { blockBar, fit, money, wrap } from "../model/format.ts";
import { COLORS, statusColor } from "../theme.ts";

export interface AgentDetailsProps {
  agent: AgentResponse | null;
  swarmName: string | null;
  parent: AgentResponse | null;
  kids: readonly AgentResponse[];
  /** The tail of its output log, oldest first. */
  log: readonly string[];
  /** Its newest model calls through the gateway, or null (not loaded, or it makes none). */
  calls: AgentCalls | null;
  width: number;
  height: number;
}

/** `── title ─────` across the width. */
const rule = (title: string, width: number) =>
  title.length < width ? title + "─".repeat(width - title.length) : fit(title, width);

const tokens = (n: number) => n.toLocaleString("en-US");

/** A worktree agent's branch and what it changed there (its result's `git`), or null. */
export function changesLine(agent: AgentResponse): string | null {
  const git = (agent.result as { git?: unknown } | null)?.git as
    | { branch?: string; commits?: unknown[]; files?: unknown[]; insertions?: number; deletions?: number }
    | undefined;
  if (!git?.branch) return null;
  const n = (count: number, one: string) => `${count} ${one}${count === 1 ? "" : "s"}`;
  return `${git.branch} · ${n(git.commits?.length ?? 0, "commit")} · ${n(git.files?.length ?? 0, "file")} +${git.insertions ?? 0} -${git.deletions ?? 0}`;
}

/** Refused red, capped yellow: the operator's two signs of a budget at its edge. */
function callColor(call: ModelCallResponse | undefined): string {
  if (!call) return COLORS.dim;
  if (call.status === "refused") return COLORS.error;
  if (isCapped(call)) return COLORS.warn;
  if (call.status === "open") return COLORS.accent;
  return call.status === "settled" ? COLORS.text : COLORS.dim;
}

/** Lines of the calls list: a few when the pane has room for them and a log besides, else none. */
function callRows(calls: AgentCalls | null, room: number): number {
  const rows = Math.min(calls?.calls.length ?? 0, 5, room - 4, Math.ceil(room / 2));
  return rows >= 2 ? rows : 0;
}

/** How the agent is confined; an unconfined one stands out (fileSandbox: false was chosen). */
function sandboxRow(agent: AgentResponse, row: Row) {
  if (agent.sandbox === "off")
    return row("sandbox", "OFF: unconfined (the swarm set fileSandbox: false)", COLORS.warn);
  if (agent.sandbox) return row("sandbox", `${agent.sandbox}: files confined to its workspace`, COLORS.dim);
  return row("sandbox", "-", COLORS.dim);
}

/** A field row and the key it is known by (what fitRows drops it by). */
type Field = readonly [key: string, row: React.ReactNode];
type Row = (label: string, value: string, color?: string, key?: string) => Field;

/** Rows left out, first first, when the pane is shorter than the fields (a wide terminal's short pane). */
const DROP_FIRST = ["metering", "family", "sandbox", "model", "swarm", "task", "git", "progress", "calls"];

function fitRows(rows: Field[], height: number): React.ReactNode[] {
  let kept = rows;
  for (const key of DROP_FIRST) {
    if (kept.length <= height) break;
    kept = kept.filter(([k]) => k !== key);
  }
  return kept.slice(0, height).map(([, node]) => node);
}

/** The selected agent: its fields, what it cost, its model calls, its family, and the live tail of its log. */
export function AgentDetails({
  agent,
  swarmName,
  parent,
  kids,
  log,
  calls,
  width,
  height,
}: AgentDetailsProps) {
  if (!agent) {
    return (
      <box width={width} height={height}>
        <text fg={COLORS.dim}>No agent selected: move with j/k.</text>
      </box>
    );
  }
  const { progress, cost } = agent;
  const row: Row = (label, value, color = COLORS.text, key = label) => [
    key,
    <text key={key}>
      <span fg={COLORS.dim}>{label.padEnd(9)}</span>
      <span fg={color}>{fit(value, width - 9)}</span>
    </text>,
  ];
  const error = failureLine(agent);
  const family = kids.map((c) => `${c.name} (${c.status})`).join(", ");
  const fields = fitRows(
    [
      [
        "title",
        <text key="title">
          <span fg={COLORS.text}>{agent.name} </span>
          <span fg={statusColor(agent.status)}>{agent.status.toUpperCase()}</span>
          <span fg={COLORS.dim}> {agent.id}</span>
        </text>,
      ],
      row("swarm", `${swarmName ?? agent.swarmId} · ${agent.role} · retries ${agent.retryCount}`),
      row("model", agent.model || "-"),
      row("metering", meteringText(agent.metering), agent.metering ? COLORS.text : COLORS.dim),
      sandboxRow(agent, row),
      row("task", agent.task || "-"),
      row(
        "progress",
        progress.total > 0
          ? `${blockBar(progress.percentage, 10)} ${progress.percentage}% (${progress.current}/${progress.total})`
          : "-",
        COLORS.accent,
      ),
      row(
        "cost",
        `${money(cost.amount)} · prompt ${tokens(cost.promptTokens)} · completion ${tokens(cost.completionTokens)} · total ${tokens(cost.totalTokens)} tok`,
      ),
      row("calls", callsSummary(calls, agent.metering), callColor(calls?.calls[0])),
      row("family", `parent ${parent ? parent.name : "-"} · children ${family || "-"}`),
      ...(changesLine(agent) ? [row("git", changesLine(agent) ?? "", COLORS.accent)] : []),
      // A budget kill names the budget and what it had spent: worth a few lines when there is room.
      ...(error
        ? wrap(error, width - 9, height >= 16 ? 3 : 1).map((line, i) =>
            row(i === 0 ? "error" : "", line, COLORS.error, `error ${i}`),
          )
        : []),
    ],
    height,
  );
  const shown = calls?.calls.slice(0, callRows(calls, height - fields.length)) ?? [];
  const logRows = height - fields.length - 1 - (shown.length > 0 ? shown.length + 1 : 0);
  return (
    <box flexDirection="column" width={width} height={height}>
      {fields}
      {shown.length > 0 ? <text fg={COLORS.dim}>{rule("── calls (newest first) ", width)}</text> : null}
      {shown.map((call) => (
        <text key={call.id} fg={callColor(call)}>
          {fit(callLine(call, width >= 60), width)}
        </text>
      ))}
      {logRows >= 0 ? (
        <text fg={COLORS.dim}>
          {rule(`── log (${log.length} line${log.length === 1 ? "" : "s"}) `, width)}
        </text>
      ) : null}
      {(logRows > 0 ? log.slice(-logRows) : []).map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: log lines are positional
        <text key={i} fg={COLORS.text}>
          {fit(line, width)}
        </text>
      ))}
    </box>
  );
}
