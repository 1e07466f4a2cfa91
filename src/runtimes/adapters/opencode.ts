import { boundReports, count, parseJsonLine } from "../report-protocol.ts";
import type { OutputParser, Report } from "../runtime.ts";

/**
 * `opencode run --format json`: cost and tokens are per step (`step_finish`), so each becomes one
 * usage report (the ledger sums them); `tokens.input` excludes cache reads, which are added back
 * as prompt tokens. The last `text` part is the result; an `error` line fails the run.
 */
export class OpencodeParser implements OutputParser {
  private session: string | null = null;

  constructor(private readonly model: string) {}

  /** What the line reports, within LIMITS (a huge answer is stored as a marker, see boundReport). */
  line(text: string): Report[] {
    return boundReports(this.parse(text));
  }

  private parse(text: string): Report[] {
    const json = parseJsonLine(text);
    if (!json) return [];
    const reports: Report[] = [];
    if (typeof json.sessionID === "string" && this.session === null) {
      this.session = json.sessionID;
      reports.push({ kind: "session", id: json.sessionID });
    }
    const part = (json.part ?? {}) as Record<string, unknown>;
    if (json.type === "step_finish") {
      const tokens = (part.tokens ?? {}) as Record<string, unknown>;
      const cache = (tokens.cache ?? {}) as Record<string, unknown>;
      reports.push({
        kind: "usage",
        usage: {
          model: this.model,
          promptTokens: count(tokens.input) + count(cache.read) + count(cache.write),
          completionTokens: count(tokens.output) + count(tokens.reasoning),
          costUsd: count(part.cost),
        },
      });
    } else if (json.type === "text" && typeof part.text === "string") {
      reports.push({ kind: "result", value: part.text });
    } else if (json.type === "error") {
      const error = (json.error ?? {}) as { name?: unknown; data?: { message?: unknown } };
      reports.push({ kind: "error", message: String(error.data?.message ?? error.name ?? "opencode error") });
    }
    return reports;
  }
}
