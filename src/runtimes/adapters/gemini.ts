import { costOf, PRICES, type Price } from "../pricing.ts";
import { count, parseJsonLine } from "../report-protocol.ts";
import type { OutputParser, Report } from "../runtime.ts";

/**
 * `gemini -p --output-format stream-json`: session from `init`, the assistant's text deltas make
 * the result, totals from the final `result` stats (input_tokens is the prompt total), priced by
 * model; an `error` of severity error, or a result with status error, fails the run.
 */
export class GeminiParser implements OutputParser {
  private text = "";

  constructor(
    private model: string,
    private readonly prices: Record<string, Price> = PRICES,
  ) {}

  line(text: string): Report[] {
    const json = parseJsonLine(text);
    if (!json) return [];
    if (json.type === "init") {
      if (typeof json.model === "string") this.model = json.model;
      return typeof json.session_id === "string" ? [{ kind: "session", id: json.session_id }] : [];
    }
    if (json.type === "message" && json.role === "assistant" && typeof json.content === "string") {
      this.text = json.delta === true ? this.text + json.content : json.content;
      return [];
    }
    if (json.type === "error" && json.severity === "error")
      return [{ kind: "error", message: String(json.message) }];
    if (json.type !== "result") return [];
    const stats = (json.stats ?? {}) as Record<string, unknown>;
    const promptTokens = count(stats.input_tokens);
    const completionTokens = count(stats.output_tokens);
    const reports: Report[] = [
      {
        kind: "usage",
        usage: {
          model: this.model,
          promptTokens,
          completionTokens,
          costUsd: costOf(this.model, promptTokens, completionTokens, this.prices),
        },
      },
    ];
    if (json.status === "error")
      reports.push({
        kind: "error",
        message: String((json.error as { message?: unknown })?.message ?? "gemini ended with an error"),
      });
    else reports.push({ kind: "result", value: this.text });
    return reports;
  }
}
