import { boundReports, count, parseJsonLine } from "../report-protocol.ts";
import type { OutputParser, Report } from "../runtime.ts";

/**
 * `claude -p --output-format stream-json --verbose` (agent-cli-formats.md): the session id from
 * `system/init`, totals (tokens and `total_cost_usd`) from the final `result` line only: the usage
 * on `assistant` lines repeats per content block and copies message_start, so it is not summed.
 */
export class ClaudeCodeParser implements OutputParser {
  private model: string;

  constructor(model: string) {
    this.model = model;
  }

  /** What the line reports, within LIMITS (a huge answer is stored as a marker, see boundReport). */
  line(text: string): Report[] {
    return boundReports(this.parse(text));
  }

  private parse(text: string): Report[] {
    const json = parseJsonLine(text);
    if (!json) return [];
    if (json.type === "system" && json.subtype === "init") {
      if (typeof json.model === "string") this.model = json.model;
      return typeof json.session_id === "string" ? [{ kind: "session", id: json.session_id }] : [];
    }
    if (json.type !== "result") return [];
    const usage = (json.usage ?? {}) as Record<string, unknown>;
    const modelUsage = Object.keys((json.modelUsage ?? {}) as object);
    const reports: Report[] = [
      {
        kind: "usage",
        usage: {
          model: modelUsage[0] ?? this.model,
          promptTokens:
            count(usage.input_tokens) +
            count(usage.cache_creation_input_tokens) +
            count(usage.cache_read_input_tokens),
          completionTokens: count(usage.output_tokens),
          costUsd: count(json.total_cost_usd ?? json.cost_usd),
        },
      },
    ];
    if (typeof json.session_id === "string") reports.unshift({ kind: "session", id: json.session_id });
    const failed = json.is_error === true || String(json.subtype ?? "").startsWith("error");
    if (failed) {
      const errors = Array.isArray(json.errors) ? json.errors.map(String).join("; ") : "";
      const message = typeof json.result === "string" && json.result ? json.result : errors;
      reports.push({ kind: "error", message: message || `claude ended with ${json.subtype ?? "an error"}` });
    } else if (json.result !== undefined) reports.push({ kind: "result", value: json.result });
    return reports;
  }
}
