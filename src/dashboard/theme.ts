import type { AgentStatus, SwarmStatus } from "../domain/states.ts";
import type { EventLevel } from "./model/describe-event.ts";

/** The dashboard's colors, in one place. */
export const COLORS = {
  text: "#e5e7eb",
  dim: "#6b7280",
  accent: "#38bdf8",
  border: "#374151",
  selected: "#1e40af",
  match: "#a16207",
  ok: "#22c55e",
  warn: "#eab308",
  error: "#ef4444",
} as const;

const STATUS: Record<AgentStatus | SwarmStatus, string> = {
  idle: COLORS.dim,
  creating: "#06b6d4",
  spawning: "#06b6d4",
  running: COLORS.ok,
  active: COLORS.ok,
  paused: COLORS.warn,
  completed: "#60a5fa",
  failed: COLORS.error,
  killed: "#f97316",
  destroyed: COLORS.dim,
};

export const statusColor = (status: string): string => STATUS[status as AgentStatus] ?? COLORS.text;

export const LEVEL_COLOR: Record<EventLevel, string> = {
  info: COLORS.text,
  warn: COLORS.warn,
  error: COLORS.error,
};

/** Green below the warning level, yellow to critical, red above. */
export const spendColor = (percent: number): string =>
  percent >= 90 ? COLORS.error : percent >= 75 ? COLORS.warn : COLORS.ok;
