import type { AgentResponse } from "./agent.ts";

/**
 * Why an agent failed, as every command shows it: the error the supervisor recorded (its message,
 * why — a start that could not happen, an exit, a timeout, the budget — the exit code or signal and
 * the last lines it printed). A newcomer's first failure must explain itself without the raw JSON.
 */
export interface AgentFailure {
  message: string;
  reason?: string;
  exitCode?: number | null;
  signal?: string | null;
  lastLines?: string[];
  willRetry?: boolean;
}

/** The agent's recorded error, or null when it has none (the field is free-form in the store). */
export function failureOf(agent: Pick<AgentResponse, "error">): AgentFailure | null {
  const error = agent.error;
  if (error === null || typeof error !== "object")
    return typeof error === "string" ? { message: error } : null;
  const e = error as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    message: text(e.message) ?? JSON.stringify(error),
    reason: text(e.reason),
    exitCode: typeof e.exitCode === "number" ? e.exitCode : null,
    signal: text(e.signal) ?? null,
    lastLines: Array.isArray(e.lastLines)
      ? e.lastLines.filter((l): l is string => typeof l === "string")
      : [],
    willRetry: e.willRetry === true,
  };
}

/** "exit 1" / "signal SIGKILL" / "" (a start that failed, a budget kill: the message says it). */
function how(failure: AgentFailure): string {
  if (failure.exitCode !== null && failure.exitCode !== undefined) return `exit ${failure.exitCode}`;
  return failure.signal ? `signal ${failure.signal}` : "";
}

/** How it ended and its message on one line: "exit 1: claude: command not found…". */
export function failureLine(agent: Pick<AgentResponse, "error">): string | null {
  const failure = failureOf(agent);
  if (!failure) return null;
  const head = how(failure);
  return `${head ? `${head}: ` : ""}${failure.message}`;
}
