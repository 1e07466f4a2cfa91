import type { AgentResponse } from "../domain/agent.ts";
import { failureLine, failureOf } from "../domain/agent-failure.ts";
import { dim, red } from "./style.ts";

/** Why a failed agent failed, as the CLI prints it (see domain/agent-failure.ts). */

/** One line for a table cell: how it ended and the start of the message. */
export function shortReason(agent: Pick<AgentResponse, "error">, width = 60): string {
  const line = failureLine(agent)?.split("\n")[0] ?? "";
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** The lines `dash agent show` adds for an agent with an error. */
export function failureLines(agent: Pick<AgentResponse, "error">): string[] {
  const failure = failureOf(agent);
  if (!failure) return [];
  const ended = [
    failure.reason ? `reason: ${failure.reason}` : "",
    failure.exitCode !== null && failure.exitCode !== undefined ? `exit code: ${failure.exitCode}` : "",
    failure.signal ? `signal: ${failure.signal}` : "",
    failure.willRetry ? "a retry follows" : "",
  ].filter(Boolean);
  const lines = [`error:    ${red(failure.message)}`];
  if (ended.length > 0) lines.push(`          ${ended.join("    ")}`);
  if (failure.lastLines && failure.lastLines.length > 0) {
    lines.push("last output:", ...failure.lastLines.map((line) => dim(`  ${line}`)));
  }
  return lines;
}
