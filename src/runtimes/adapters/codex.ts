import { costOf, PRICES, type Price } from "../pricing.ts";
import { boundReports, count, parseJsonLine } from "../report-protocol.ts";
import type { OutputParser, Report } from "../runtime.ts";

/**
 * `codex exec --json`: the session is `thread_id`; usage comes per turn (`turn.completed`, where
 * input_tokens already includes cached ones) and has no cost, so it is priced by model; the last
 * `agent_message` is the result; `turn.failed` and `error` lines fail the run.
 */
export class CodexParser implements OutputParser {
  constructor(
    private readonly model: string,
    private readonly prices: Record<string, Price> = PRICES,
  ) {}

  /** What the line reports, within LIMITS (a huge answer is stored as a marker, see boundReport). */
  line(text: string): Report[] {
    return boundReports(this.parse(text));
  }

  private parse(text: string): Report[] {
    const json = parseJsonLine(text);
    if (!json) return [];
    switch (json.type) {
      case "thread.started":
        return typeof json.thread_id === "string" ? [{ kind: "session", id: json.thread_id }] : [];
      case "turn.completed": {
        const usage = (json.usage ?? {}) as Record<string, unknown>;
        const promptTokens = count(usage.input_tokens);
        const completionTokens = count(usage.output_tokens) + count(usage.reasoning_output_tokens);
        const costUsd = costOf(this.model, promptTokens, completionTokens, this.prices);
        return [{ kind: "usage", usage: { model: this.model, promptTokens, completionTokens, costUsd } }];
      }
      case "item.completed": {
        const item = (json.item ?? {}) as Record<string, unknown>;
        return item.type === "agent_message" && typeof item.text === "string"
          ? [{ kind: "result", value: item.text }]
          : [];
      }
      case "turn.failed":
        return [
          { kind: "error", message: String((json.error as { message?: unknown })?.message ?? "turn failed") },
        ];
      case "error":
        return [{ kind: "error", message: String(json.message ?? "codex error") }];
      default:
        return [];
    }
  }
}
