import type { UsageReport } from "../domain/agent.ts";

/**
 * What a runtime reports about one run of an agent (DESIGN.md §4). Process runtimes get these from
 * the agent's output lines through a parser; in-process runtimes (openai) produce them directly.
 */
export type Report =
  | { kind: "progress"; current: number; total: number }
  | { kind: "usage"; usage: UsageReport }
  | { kind: "result"; value: unknown }
  | { kind: "session"; id: string }
  /** The run says it failed even if its exit code is 0 (Claude's `is_error`, an `error` line). */
  | { kind: "error"; message: string };

/** Turns a CLI's output lines into reports. Lines it does not understand are just log. */
export interface OutputParser {
  line(text: string): Report[];
}

/** How one attempt of an agent is started: argv (never a shell string), directory, environment. */
export interface LaunchSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

/** How an attempt ended, as the shim recorded it. */
export interface ExitStatus {
  code: number | null;
  signal: string | null;
  /** Set when the command could not be started at all. */
  error?: string;
  /** No status was recorded: the shim itself was killed (SIGKILL to its group, a reboot). */
  lost?: boolean;
  endedAt: number;
}
