import { expect, test } from "bun:test";
import { DashError } from "../../src/domain/errors.ts";
import { builtInPresets, resolveRuntime } from "../../src/runtimes/presets.ts";
import { reportOf } from "../../src/runtimes/report-protocol.ts";

const choice = { model: "claude-sonnet-4", task: "fix {model} $(rm -rf /)", agentId: "A1" };

test("presets fill placeholders as whole argv elements, once, with no shell anywhere", () => {
  const claude = resolveRuntime({ ...choice, runtime: "claude-code" }, builtInPresets(), "command");
  expect(claude.argv).toEqual([
    "claude",
    "--permission-mode",
    "acceptEdits",
    "-p",
    "fix {model} $(rm -rf /)",
    "--output-format",
    "stream-json",
    "--verbose",
    "--model",
    "claude-sonnet-4",
  ]);
  expect(claude.parser().line('{"type":"system","subtype":"init","session_id":"s"}')).toEqual([
    { kind: "session", id: "s" },
  ]);
  const raw = resolveRuntime(
    { ...choice, command: ["echo", "{agentId}:{input}"] },
    builtInPresets(),
    "claude-code",
  );
  expect([raw.name, raw.argv]).toEqual(["command", ["echo", "A1:"]]);
});

test("an unknown runtime or a command preset without argv is a clear validation error", () => {
  expect(() => resolveRuntime({ ...choice, runtime: "nope" }, builtInPresets(), "command")).toThrow(
    /unknown runtime "nope"; runtimes here: claude-code, codex, command, demo, gemini, opencode/,
  );
  expect(() => resolveRuntime(choice, builtInPresets(), "command")).toThrow(DashError);
});

test("report lines: valid ones are reports; invalid or foreign ones stay log", () => {
  expect(reportOf('{"dash":"progress","current":1,"total":4}')).toEqual({
    kind: "progress",
    current: 1,
    total: 4,
  });
  expect(reportOf('{"dash":"result","answer":42}')).toEqual({ kind: "result", value: { answer: 42 } });
  expect(reportOf('{"dash":"session","id":"abc"}')).toEqual({ kind: "session", id: "abc" });
  expect(reportOf('{"dash":"error","message":"no"}')).toEqual({ kind: "error", message: "no" });
  for (const line of [
    '{"dash":"progress","current":5,"total":4}',
    '{"dash":"usage","promptTokens":-1,"completionTokens":0,"costUsd":0}',
    '{"dash":"launch"}',
    '{"type":"result"}',
    "not json",
    "[]",
  ]) {
    expect(reportOf(line)).toBeNull();
  }
});

test("every built-in preset resolves to an argv and a parser of its kind", () => {
  const presets = builtInPresets();
  for (const name of Object.keys(presets)) {
    const runtime = resolveRuntime(
      { ...choice, runtime: name, command: name === "command" ? ["true"] : undefined },
      presets,
      "command",
    );
    expect(runtime.argv.length).toBeGreaterThan(0);
    expect(runtime.parser().line("not a report")).toEqual([]);
  }
  expect(resolveRuntime({ ...choice, runtime: "demo" }, presets, "command").argv.slice(-2)).toEqual([
    "__demo-agent",
    "10",
  ]);
});
