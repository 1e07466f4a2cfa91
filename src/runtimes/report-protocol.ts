import { z } from "zod";
import { ProgressReportSchema, UsageReportSchema } from "../domain/agent.ts";
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
  z.object({ dash: z.literal("session"), id: z.string().min(1).max(200) }),
  z.object({ dash: z.literal("error"), message: z.string().max(10_000) }),
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

export class ReportProtocolParser implements OutputParser {
  line(text: string): Report[] {
    const report = reportOf(text);
    return report ? [report] : [];
  }
}
