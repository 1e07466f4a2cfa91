import { z } from "zod";
import { ProgressReportSchema, UsageReportSchema } from "../domain/agent.ts";
import { LIMITS } from "../domain/limits.ts";
import { jsonExcess } from "../domain/validate.ts";
import type { OutputParser, Report } from "./runtime.ts";

/**
 * The report protocol of plain commands (DESIGN.md §4): a stdout line that is a JSON object with a
 * `"dash"` key is a report; anything else is log. A line that claims to be a report but is not a
 * valid one stays log too: an agent's bad line must never stop its supervisor.
 */
const ReportLineSchema = z.discriminatedUnion("dash", [
  z.object({ dash: z.literal("progress") }).extend(ProgressReportSchema.shape),
  z.object({ dash: z.literal("usage") }).extend(UsageReportSchema.shape),
  z.object({ dash: z.literal("result"), result: z.unknown().optional() }).loose(),
  // A longer id is no session id: the line stays log (and cannot be resumed from).
  z.object({ dash: z.literal("session"), id: z.string().min(1).max(LIMITS.sessionId) }),
  // Any length: a long error still fails the run, cut by boundReport.
  z.object({ dash: z.literal("error"), message: z.string() }),
]);

/** A token count or cost from a CLI's JSON: a finite non-negative number, else 0 (formats drift). */
export const count = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

export function parseJsonLine(text: string): Record<string, unknown> | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function reportOf(line: string): Report | null {
  const report = unboundedReportOf(line);
  return report && boundReport(report);
}

function unboundedReportOf(line: string): Report | null {
  const json = parseJsonLine(line);
  if (!json || !("dash" in json)) return null;
  const parsed = ReportLineSchema.safeParse(json);
  if (!parsed.success) return null;
  const report = parsed.data;
  switch (report.dash) {
    case "progress":
      if (report.total > 0 && report.current > report.total) return null;
      return { kind: "progress", current: report.current, total: report.total };
    case "usage": {
      const { dash: _, ...usage } = report;
      return { kind: "usage", usage };
    }
    case "result": {
      const { dash: _, ...rest } = report;
      return { kind: "result", value: "result" in rest ? rest.result : rest };
    }
    case "session":
      return { kind: "session", id: report.id };
    case "error":
      return { kind: "error", message: report.message };
  }
}

/**
 * How a result over LIMITS.result is stored (the agent's `result`, its completed event, its
 * swarm's result): a marker with its size and its start. The agent's output log keeps the line.
 */
export function tooLargeResult(bytes: number | null, preview: string) {
  const { bytes: max, depth } = LIMITS.result;
  return {
    tooLarge: true,
    why: bytes === null ? `nested deeper than ${depth} levels` : `${bytes} bytes, over the bound of ${max}`,
    bytes,
    maxBytes: max,
    preview: preview.slice(0, LIMITS.resultPreview),
    log: "the whole result is in the agent's output log: GET /api/agents/:id/logs",
  };
}

/** A result as it is stored: itself within LIMITS.result, else its marker. */
export function boundResult(value: unknown): unknown {
  const excess = jsonExcess(value, LIMITS.result);
  if (!excess) return value;
  const preview = typeof value === "string" ? value : excess.bytes === null ? "" : JSON.stringify(value);
  return tooLargeResult(excess.bytes, preview);
}

/** An error message over LIMITS.errorMessage, cut and marked so (the log has it whole). */
export function cutMessage(message: string): string {
  if (message.length <= LIMITS.errorMessage) return message;
  const note = `[cut: ${message.length} characters; the whole message is in the agent's output log]`;
  return `${message.slice(0, LIMITS.errorMessage)}… ${note}`;
}

/**
 * What an agent's output gets stored, within LIMITS (issue 24): never refused, since the run must
 * go on, but a result over its bound becomes a marker, an error message is cut, a model name is
 * cut (so its spend is still recorded), and a session id too long to be one is dropped (null).
 */
export function boundReport(report: Report): Report | null {
  switch (report.kind) {
    case "result":
      return { kind: "result", value: boundResult(report.value) };
    case "error":
      return { kind: "error", message: cutMessage(report.message) };
    case "session":
      return report.id.length > LIMITS.sessionId ? null : report;
    case "usage": {
      const { model } = report.usage;
      if (model === undefined || model.length <= LIMITS.model) return report;
      return { kind: "usage", usage: { ...report.usage, model: model.slice(0, LIMITS.model) } };
    }
    default:
      return report;
  }
}

/** boundReport over a parser's reports: every CLI adapter passes what it found through this. */
export const boundReports = (reports: Report[]): Report[] =>
  reports.flatMap((report) => boundReport(report) ?? []);

export class ReportProtocolParser implements OutputParser {
  line(text: string): Report[] {
    const report = reportOf(text);
    return report ? [report] : [];
  }
}
