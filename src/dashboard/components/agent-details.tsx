import type { AgentResponse } from "../../domain/agent.ts";
import { blockBar, fit, money } from "../model/format.ts";
import { COLORS, statusColor } from "../theme.ts";

export interface AgentDetailsProps {
  agent: AgentResponse | null;
  swarmName: string | null;
  parent: AgentResponse | null;
  kids: readonly AgentResponse[];
  /** The tail of its output log, oldest first. */
  log: readonly string[];
  width: number;
  height: number;
}

/** `── title ─────` across the width. */
const rule = (title: string, width: number) =>
  title.length < width ? title + "─".repeat(width - title.length) : fit(title, width);

const tokens = (n: number) => n.toLocaleString("en-US");

function problem(agent: AgentResponse): string | null {
  if (!agent.error) return null;
  const error = agent.error as { message?: unknown };
  return typeof error.message === "string" ? error.message : JSON.stringify(agent.error);
}

/** A worktree agent's branch and what it changed there (its result's `git`), or null. */
export function changesLine(agent: AgentResponse): string | null {
  const git = (agent.result as { git?: unknown } | null)?.git as
    | { branch?: string; commits?: unknown[]; files?: unknown[]; insertions?: number; deletions?: number }
    | undefined;
  if (!git?.branch) return null;
  const n = (count: number, one: string) => `${count} ${one}${count === 1 ? "" : "s"}`;
  return `${git.branch} · ${n(git.commits?.length ?? 0, "commit")} · ${n(git.files?.length ?? 0, "file")} +${git.insertions ?? 0} -${git.deletions ?? 0}`;
}

/** How the agent is confined; an unconfined one stands out (fileSandbox: false was chosen). */
function sandboxRow(
  agent: AgentResponse,
  row: (label: string, value: string, color?: string) => React.ReactNode,
) {
  if (agent.sandbox === "off")
    return row("sandbox", "OFF: unconfined (the swarm set fileSandbox: false)", COLORS.warn);
  if (agent.sandbox) return row("sandbox", `${agent.sandbox}: files confined to its workspace`, COLORS.dim);
  return row("sandbox", "-", COLORS.dim);
}

/** The selected agent: its fields, what it cost, its family, and the live tail of its log. */
export function AgentDetails({ agent, swarmName, parent, kids, log, width, height }: AgentDetailsProps) {
  if (!agent) {
    return (
      <box width={width} height={height}>
        <text fg={COLORS.dim}>No agent selected: move with j/k.</text>
      </box>
    );
  }
  const { progress, cost } = agent;
  const row = (label: string, value: string, color: string = COLORS.text) => (
    <text key={label}>
      <span fg={COLORS.dim}>{label.padEnd(9)}</span>
      <span fg={color}>{fit(value, width - 9)}</span>
    </text>
  );
  const error = problem(agent);
  const family = kids.map((c) => `${c.name} (${c.status})`).join(", ");
  const fields = [
    <text key="title">
      <span fg={COLORS.text}>{agent.name} </span>
      <span fg={statusColor(agent.status)}>{agent.status.toUpperCase()}</span>
      <span fg={COLORS.dim}> {agent.id}</span>
    </text>,
    row("swarm", `${swarmName ?? agent.swarmId} · ${agent.role} · retries ${agent.retryCount}`),
    row("model", agent.model || "-"),
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
    row("family", `parent ${parent ? parent.name : "-"} · children ${family || "-"}`),
    ...(changesLine(agent) ? [row("git", changesLine(agent) ?? "", COLORS.accent)] : []),
    ...(error ? [row("error", error, COLORS.error)] : []),
  ];
  const logRows = Math.max(0, height - fields.length - 1);
  return (
    <box flexDirection="column" width={width} height={height}>
      {fields}
      <text fg={COLORS.dim}>{rule(`── log (${log.length} lines) `, width)}</text>
      {log.slice(-logRows).map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: log lines are positional
        <text key={i} fg={COLORS.text}>
          {fit(line, width)}
        </text>
      ))}
    </box>
  );
}
