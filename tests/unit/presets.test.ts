import { expect, test } from "bun:test";
import { DashError } from "../../src/domain/errors.ts";
import { builtInPresets, presetsWith, resolveRuntime } from "../../src/runtimes/presets.ts";
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
    /unknown runtime "nope"; runtimes here: claude-code, codex, command, demo, gemini, openai, openclaw, opencode/,
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

test("the openai kind runs the dash binary with its settings in DASH_OPENAI, priced by table or preset", () => {
  const presets = {
    ...builtInPresets(),
    mine: {
      kind: "openai" as const,
      baseUrl: "http://127.0.0.1:1/v1",
      stream: true,
      price: { input: 9, output: 9 },
    },
  };
  const table = { "gpt-4o": { input: 1, output: 2 } };
  const builtIn = resolveRuntime(
    { ...choice, model: "openai/gpt-4o", runtime: "openai", input: "in" },
    presets,
    "command",
    table,
  );
  expect(builtIn.argv.slice(-3)).toEqual(["__openai-agent", "fix {model} $(rm -rf /)", "in"]);
  const settings = JSON.parse(builtIn.env.DASH_OPENAI as string);
  expect(settings).toMatchObject({
    apiKeyEnv: "OPENAI_API_KEY",
    model: "openai/gpt-4o",
    price: { input: 1, output: 2 },
  });
  expect(settings.baseUrl).toMatch(/^https?:\/\//);
  const mine = resolveRuntime({ ...choice, model: "Llama-3", runtime: "mine" }, presets, "command", table);
  expect(JSON.parse(mine.env.DASH_OPENAI as string)).toMatchObject({
    stream: true,
    price: { input: 9, output: 9 },
  });
  expect(mine.parser().line('{"dash":"progress","current":1,"total":2}')).toHaveLength(1);
});

test("Codex and Gemini parsers price with the table they are given (config pricing:)", () => {
  const table = { "gpt-5.5": { input: 100, output: 0 } };
  const codex = resolveRuntime(
    { ...choice, model: "gpt-5.5", runtime: "codex" },
    builtInPresets(),
    "command",
    table,
  );
  expect(
    codex.parser().line('{"type":"turn.completed","usage":{"input_tokens":10000,"output_tokens":5}}'),
  ).toEqual([
    { kind: "usage", usage: { model: "gpt-5.5", promptTokens: 10000, completionTokens: 5, costUsd: 1 } },
  ]);
  const gemini = resolveRuntime(
    { ...choice, model: "gpt-5.5", runtime: "gemini" },
    builtInPresets(),
    "command",
    table,
  );
  expect(
    gemini.parser().line('{"type":"result","status":"success","stats":{"input_tokens":10000}}'),
  ).toContainEqual({
    kind: "usage",
    usage: { model: "gpt-5.5", promptTokens: 10000, completionTokens: 0, costUsd: 1 },
  });
});

test("a lost Claude run is resumed with its session and a continuation prompt; a USD budget caps it", () => {
  const claude = resolveRuntime(
    { ...choice, runtime: "claude-code", session: "sess-1", budgetUsd: 2.5 },
    builtInPresets(),
    "command",
  );
  expect(claude.resumes).toBe(true);
  expect(claude.argv.slice(-4)).toEqual(["--resume", "sess-1", "--max-budget-usd", "2.5"]);
  expect(claude.argv[claude.argv.indexOf("-p") + 1]).toStartWith(
    "Your previous run of this task was interrupted",
  );
  // A preset without resumeArgs starts over; a raw command never gets extra arguments.
  const codex = resolveRuntime(
    { ...choice, runtime: "codex", session: "t-1", budgetUsd: 1 },
    builtInPresets(),
    "command",
  );
  expect(codex.resumes).toBe(false);
  expect(codex.argv).not.toContain("t-1");
  const raw = resolveRuntime(
    { ...choice, command: ["run", "{task}"], session: "s", budgetUsd: 1 },
    builtInPresets(),
    "x",
  );
  expect(raw.argv).toEqual(["run", "fix {model} $(rm -rf /)"]);
});

test("blockedCommands reach Claude as disallowed Bash tools; CLIs name what they must write", () => {
  const claude = resolveRuntime(
    { ...choice, runtime: "claude-code", blockedCommands: ["curl", "git push"], session: "s-1" },
    builtInPresets(),
    "command",
  );
  const at = claude.argv.indexOf("--disallowedTools");
  expect(claude.argv.slice(at, at + 6)).toEqual([
    "--disallowedTools",
    "Bash(curl)",
    "Bash(curl *)",
    "--disallowedTools",
    "Bash(git push)",
    "Bash(git push *)",
  ]);
  // Before --resume: the variadic flag's values end at the next option.
  expect(claude.argv.indexOf("--resume")).toBeGreaterThan(at + 5);
  expect(claude.writable).toContain("${CLAUDE_CONFIG_DIR:-~/.claude}/");
  const codex = resolveRuntime(
    { ...choice, runtime: "codex", blockedCommands: ["curl"] },
    builtInPresets(),
    "x",
  );
  expect(codex.argv).not.toContain("--disallowedTools");
  expect(codex.writable).toEqual(["${CODEX_HOME:-~/.codex}/"]);
  const raw = resolveRuntime(
    { ...choice, command: ["run"], blockedCommands: ["curl"] },
    builtInPresets(),
    "x",
  );
  expect(raw.argv).toEqual(["run"]);
});

test("a config preset of a CLI kind keeps that CLI's argv, resume and budget arguments", () => {
  const presets = presetsWith({ reviewer: { kind: "claude-code", model: "claude-opus-4-1" } });
  const reviewer = resolveRuntime(
    { ...choice, runtime: "reviewer", session: "s-9", budgetUsd: 1 },
    presets,
    "command",
  );
  expect(reviewer.argv[0]).toBe("claude");
  expect(reviewer.argv).toContain("claude-opus-4-1");
  expect(reviewer.argv.slice(-4)).toEqual(["--resume", "s-9", "--max-budget-usd", "1"]);
  expect(Object.keys(presets)).toContain("openai");
});

test("openclaw presets: the config's gateway and token reach every openclaw preset; the session is the agent's", () => {
  const presets = presetsWith(
    {
      mine: { kind: "openclaw", env: { EXTRA: "1" } },
      elsewhere: { kind: "openclaw", gatewayUrl: "wss://gw.example/x" },
    },
    { gatewayUrl: "ws://10.0.0.2:18789", token: "tok" },
  );
  expect(presets.mine?.env).toEqual({ OPENCLAW_GATEWAY_TOKEN: "tok", EXTRA: "1" });
  const resolve = (runtime: string, patch: { model?: string; parentId?: string } = {}) =>
    resolveRuntime({ ...choice, runtime, ...patch }, presets, "command");
  const settings = (r: ReturnType<typeof resolve>) => JSON.parse(r.env.DASH_OPENCLAW as string);
  const plain = resolve("mine", { model: "claude-sonnet-4" });
  expect(plain.kind).toBe("openclaw");
  expect(plain.argv.slice(-2)).toEqual(["__openclaw-agent", choice.task]);
  expect(settings(plain)).toMatchObject({ url: "ws://10.0.0.2:18789", sessionKey: `dash-${choice.agentId}` });
  expect(settings(plain).model).toBeUndefined();
  expect(plain.control).toBeDefined();
  const child = resolve("elsewhere", { model: "fake/fake-model", parentId: "P1" });
  expect(settings(child)).toMatchObject({
    url: "wss://gw.example/x",
    model: "fake/fake-model",
    parentSessionKey: "dash-P1",
  });
});
