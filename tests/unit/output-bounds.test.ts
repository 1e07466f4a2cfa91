import { expect, test } from "bun:test";
import { LIMITS } from "../../src/domain/limits.ts";
import { ClaudeCodeParser } from "../../src/runtimes/adapters/claude-code.ts";
import { CodexParser } from "../../src/runtimes/adapters/codex.ts";
import { GeminiParser } from "../../src/runtimes/adapters/gemini.ts";
import { OpencodeParser } from "../../src/runtimes/adapters/opencode.ts";
import { AgentRun } from "../../src/runtimes/agent-run.ts";
import { ReportProtocolParser, reportOf } from "../../src/runtimes/report-protocol.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import type { OutputParser, Report } from "../../src/runtimes/runtime.ts";

/*
 * Issue 24, the agents' side: what an agent prints is stored within LIMITS. A value over its bound
 * is never refused (the run goes on) nor dropped without a trace: a result becomes a marker with its
 * size, an error message is cut with a note, a model name is cut so the spend still counts.
 */
const HUGE = "x".repeat(LIMITS.result.bytes + 10);
const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const results = (reports: Report[]) => reports.flatMap((r) => (r.kind === "result" ? [r.value] : []));
const lines = (parser: OutputParser, ...values: unknown[]) =>
  values.flatMap((v) => parser.line(JSON.stringify(v)));

function expectMarker(value: unknown, bytes: number | null) {
  expect(value).toMatchObject({ tooLarge: true, bytes, maxBytes: LIMITS.result.bytes });
  const marker = value as { preview: string; log: string };
  expect(marker.preview.length).toBeLessThanOrEqual(LIMITS.resultPreview);
  expect(marker.log).toContain("GET /api/agents/:id/logs");
  expect(bytesOf(value)).toBeLessThan(LIMITS.result.bytes);
}

test("a report line's result up to the bound is kept as it is; over it, a marker with its size", () => {
  const fits = "y".repeat(LIMITS.result.bytes - 2); // 2 quotes: exactly the bound as JSON
  expect(reportOf(JSON.stringify({ dash: "result", result: fits }))).toEqual({ kind: "result", value: fits });
  const [over] = results(lines(new ReportProtocolParser(), { dash: "result", result: HUGE }));
  expectMarker(over, bytesOf(HUGE));
  expect((over as { preview: string }).preview).toBe(HUGE.slice(0, LIMITS.resultPreview));
  // A result given as the line's other fields (no `result` key) is bounded the same way.
  const loose = reportOf(JSON.stringify({ dash: "result", text: HUGE }));
  expectMarker(loose?.kind === "result" ? loose.value : null, bytesOf({ text: HUGE }));
});

test("a result nested deeper than the bound is a marker too (no stack overflow)", () => {
  const deep = `{"dash":"result","result":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
  const report = reportOf(deep);
  expect(report?.kind).toBe("result");
  expectMarker(report?.kind === "result" ? report.value : null, null);
});

test("an error message over the bound still fails the run, cut with a note of its length", () => {
  const message = "e".repeat(LIMITS.errorMessage * 3);
  const report = reportOf(JSON.stringify({ dash: "error", message }));
  expect(report?.kind).toBe("error");
  const cut = report?.kind === "error" ? report.message : "";
  expect(cut.startsWith("e".repeat(LIMITS.errorMessage))).toBe(true);
  expect(cut).toEndWith(
    `[cut: ${message.length} characters; the whole message is in the agent's output log]`,
  );
  expect(cut.length).toBeLessThan(LIMITS.errorMessage + 200);
  expect(reportOf('{"dash":"error","message":"short"}')).toEqual({ kind: "error", message: "short" });
});

test("a session id too long to be one is not kept; a model name is cut so its spend counts", () => {
  const id = "s".repeat(LIMITS.sessionId + 1);
  expect(reportOf(JSON.stringify({ dash: "session", id }))).toBeNull();
  expect(
    new ClaudeCodeParser("m").line(JSON.stringify({ type: "system", subtype: "init", session_id: id })),
  ).toEqual([]);
  const long = "m".repeat(LIMITS.model + 50);
  const [usage] = new CodexParser(long).line('{"type":"turn.completed","usage":{"input_tokens":5}}');
  expect(usage).toEqual({
    kind: "usage",
    usage: { model: long.slice(0, LIMITS.model), promptTokens: 5, completionTokens: 0, costUsd: 0 },
  });
});

test("every CLI adapter stores a huge answer as a marker and a huge error cut", () => {
  const bigError = "E".repeat(LIMITS.errorMessage + 1);
  const claude = new ClaudeCodeParser("m");
  expectMarker(
    results(lines(claude, { type: "result", subtype: "success", result: HUGE }))[0],
    bytesOf(HUGE),
  );
  const claudeError = claude.line(JSON.stringify({ type: "result", is_error: true, result: bigError }));
  expect(claudeError.find((r) => r.kind === "error")).toMatchObject({
    message: expect.stringContaining("[cut:"),
  });

  const codex = new CodexParser("m");
  const answer = { type: "item.completed", item: { type: "agent_message", text: HUGE } };
  expectMarker(results(lines(codex, answer))[0], bytesOf(HUGE));
  expect(lines(codex, { type: "error", message: bigError })[0]).toMatchObject({
    message: expect.stringContaining("[cut:"),
  });

  const opencode = new OpencodeParser("m");
  expectMarker(results(lines(opencode, { type: "text", part: { text: HUGE } }))[0], bytesOf(HUGE));

  // Gemini streams its answer in deltas: it keeps only the start of one over the bound.
  const gemini = new GeminiParser("m");
  const chunk = "z".repeat(10_000);
  const deltas = Array.from({ length: 20 }, () => ({
    type: "message",
    role: "assistant",
    content: chunk,
    delta: true,
  }));
  const [streamed] = results(lines(gemini, ...deltas, { type: "result", status: "success", stats: {} }));
  expectMarker(streamed, 20 * chunk.length);
  expect((gemini as unknown as { text: string }).text.length).toBeLessThanOrEqual(
    LIMITS.result.bytes + chunk.length,
  );
});

test("a failed agent's last lines are the documented bound: lines cut to LIMITS.lastLine", () => {
  const run = new AgentRun(
    "A",
    0,
    runFiles("/nonexistent", "A", 0),
    1,
    "",
    new ReportProtocolParser(),
    0,
    1000,
  );
  for (let i = 0; i < 30; i++) run.keepLine(`${i}:${"l".repeat(LIMITS.lastLine * 2)}`);
  expect(run.lastLines.length).toBeGreaterThanOrEqual(LIMITS.lastLines);
  expect(Math.max(...run.lastLines.map((l) => l.length))).toBe(LIMITS.lastLine + 1); // "…" marks the cut
  run.close();
});
