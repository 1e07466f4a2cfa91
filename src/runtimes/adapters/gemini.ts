import { LIMITS } from "../../domain/limits.ts";
import { costOf, PRICES, type Price } from "../pricing.ts";
import { boundReports, count, parseJsonLine, tooLargeResult } from "../report-protocol.ts";
import type { OutputParser, Report } from "../runtime.ts";

/**
 * `gemini -p --output-format stream-json`: session from `init`, the assistant's text deltas make
 * the result, totals from the final `result` stats (input_tokens is the prompt total), priced by
 * model; an `error` of severity error, or a result with status error, fails the run.
 */
export class GeminiParser implements OutputParser {
  private text = "";
  /** UTF-8 bytes of the whole answer so far: only its start is kept past LIMITS.result. */
  private bytes = 0;

  constructor(
    private model: string,
    private readonly prices: Record<string, Price> = PRICES,
  ) {}

  /** What the line reports, within LIMITS (a huge answer is stored as a marker, see boundReport). */
  line(text: string): Report[] {
    return boundReports(this.parse(text));
  }

  private parse(text: string): Report[] {
    const json = parseJsonLine(text);
    if (!json) return [];
    if (json.type === "init") {
      if (typeof json.model === "string") this.model = json.model;
      return typeof json.session_id === "string" ? [{ kind: "session", id: json.session_id }] : [];
    }
    if (json.type === "message" && json.role === "assistant" && typeof json.content === "string") {
      if (json.delta !== true) [this.text, this.bytes] = ["", 0];
      this.bytes += Buffer.byteLength(json.content);
      // A streamed answer longer than the bound is stored as a marker anyway: keep only its start.
      if (this.text.length <= LIMITS.result.bytes) this.text += json.content;
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
    else {
      const whole = Buffer.byteLength(this.text) === this.bytes;
      reports.push({ kind: "result", value: whole ? this.text : tooLargeResult(this.bytes, this.text) });
    }
    return reports;
  }
}
