import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ClaudeCodeParser } from "../../src/runtimes/adapters/claude-code.ts";
import { CodexParser } from "../../src/runtimes/adapters/codex.ts";
import { GeminiParser } from "../../src/runtimes/adapters/gemini.ts";
import { OpencodeParser } from "../../src/runtimes/adapters/opencode.ts";
import { costOf, priceOf } from "../../src/runtimes/pricing.ts";
import type { OutputParser, Report } from "../../src/runtimes/runtime.ts";

// Captured transcripts of the real CLIs (tests/fixtures/agent-cli/sources.txt says where from).
const DIR = join(import.meta.dir, "..", "fixtures", "agent-cli");
const fixture = (prefix: string) =>
  readFileSync(join(DIR, readdirSync(DIR).find((f) => f.startsWith(prefix)) as string), "utf8");
const parse = (parser: OutputParser, text: string): Report[] =>
  text.split("\n").flatMap((line) => parser.line(line));
const usages = (reports: Report[]) => reports.flatMap((r) => (r.kind === "usage" ? [r.usage] : []));

test("Claude Code: session from init, totals from the result line only (not the assistant usage)", () => {
  const reports = parse(new ClaudeCodeParser("claude-sonnet-4"), fixture("claude-stream-json"));
  expect(reports.filter((r) => r.kind === "session")[0]).toEqual({
    kind: "session",
    id: "1d1e46f9-35c7-4834-b529-846d5bb82288",
  });
  expect(usages(reports)).toEqual([
    { model: "claude-opus-4-5-20251101", promptTokens: 21_580, completionTokens: 25, costUsd: 0.1354875 },
  ]);
  expect(reports.at(-1)).toEqual({ kind: "result", value: "4" });
});

test("Claude Code: an API error is `is_error` under subtype success, and fails the run", () => {
  const line = JSON.stringify({
    type: "result",
    subtype: "success",
    is_error: true,
    result: "API Error: 500 overloaded",
    session_id: "s1",
    total_cost_usd: 0,
    usage: { input_tokens: 0, output_tokens: 0 },
  });
  const reports = new ClaudeCodeParser("m").line(line);
  expect(reports.find((r) => r.kind === "error")).toEqual({
    kind: "error",
    message: "API Error: 500 overloaded",
  });
  expect(reports.some((r) => r.kind === "result")).toBe(false);
});

test("Codex: thread id is the session, turn usage priced by model, the agent message is the result", () => {
  const reports = parse(new CodexParser("gpt-5"), fixture("codex-exec-json"));
  expect(reports[0]).toEqual({ kind: "session", id: "019a2d7b-231d-7290-acc1-6bc6571440da" });
  expect(usages(reports)).toEqual([
    { model: "gpt-5", promptTokens: 6087, completionTokens: 204, costUsd: costOf("gpt-5", 6087, 204) },
  ]);
  expect(costOf("gpt-5", 6087, 204)).toBe(0.009649);
  expect(reports.at(-2)?.kind).toBe("result");
  expect(new CodexParser("gpt-5").line('{"type":"turn.failed","error":{"message":"boom"}}')).toEqual([
    { kind: "error", message: "boom" },
  ]);
});

test("opencode: one usage per step (cache reads are prompt tokens), last text is the result, errors fail", () => {
  const reports = parse(new OpencodeParser("fake/model"), fixture("opencode-run-json__"));
  expect(usages(reports).map((u) => [u.promptTokens, u.completionTokens, u.costUsd])).toEqual([
    [21_772, 110, 0],
    [22_086, 8, 0.001],
  ]);
  expect(reports.find((r) => r.kind === "result")).toEqual({ kind: "result", value: "```\nhello\n```" });
  const failed = parse(new OpencodeParser("m"), fixture("opencode-run-json-error"));
  expect(failed.at(-1)).toEqual({ kind: "error", message: "Rate limit exceeded" });
});

test("Gemini CLI (schema of packages/core/src/output/types.ts): deltas make the result, stats the usage", () => {
  const transcript = [
    { type: "init", timestamp: "t", session_id: "g1", model: "gemini-2.5-flash" },
    { type: "message", role: "assistant", content: "Hel", delta: true },
    { type: "message", role: "assistant", content: "lo", delta: true },
    {
      type: "result",
      status: "success",
      stats: { total_tokens: 1100, input_tokens: 1000, output_tokens: 100 },
    },
  ]
    .map((l) => JSON.stringify(l))
    .join("\n");
  const reports = parse(new GeminiParser("gemini-2.5-pro"), transcript);
  expect(reports[0]).toEqual({ kind: "session", id: "g1" });
  expect(usages(reports)).toEqual([
    { model: "gemini-2.5-flash", promptTokens: 1000, completionTokens: 100, costUsd: 0.00055 },
  ]);
  expect(reports.at(-1)).toEqual({ kind: "result", value: "Hello" });
  expect(new GeminiParser("m").line('{"type":"error","severity":"error","message":"quota"}')).toEqual([
    { kind: "error", message: "quota" },
  ]);
});

test("banners, half lines and foreign JSON are log, never a crash or a report", () => {
  for (const parser of [
    new ClaudeCodeParser("m"),
    new CodexParser("m"),
    new GeminiParser("m"),
    new OpencodeParser("m"),
  ]) {
    for (const line of ["", "Loading…", '{"type":"result"', "[1,2]", "null", '{"type":42}']) {
      expect(() => parser.line(line)).not.toThrow();
    }
  }
  expect(new CodexParser("m").line('{"type":"turn.completed"}')).toEqual([
    { kind: "usage", usage: { model: "m", promptTokens: 0, completionTokens: 0, costUsd: 0 } },
  ]);
});

test("prices match the longest prefix and ignore a provider prefix; unknown models cost 0", () => {
  expect(priceOf("gpt-5-mini-2025")).toEqual({ input: 0.25, output: 2 });
  expect(priceOf("openai/gpt-4o")).toEqual({ input: 2.5, output: 10 });
  expect(costOf("my-local-llama", 1000, 1000)).toBe(0);
});
