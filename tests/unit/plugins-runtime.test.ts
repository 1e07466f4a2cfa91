import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import wordCount from "../../examples/plugins/word-count.ts";
import { startApp } from "../../src/api/app.ts";
import { loadConfig } from "../../src/config.ts";
import { assertRunnable, availableRuntimes } from "../../src/core/runnable.ts";
import { DashError } from "../../src/domain/errors.ts";
import { createLogger } from "../../src/log.ts";
import { pluginPreset } from "../../src/plugins/runtime-preset.ts";
import type { RuntimePlugin } from "../../src/plugins/schema.ts";
import { presetsWith, resolveRuntime } from "../../src/runtimes/presets.ts";
import { ROOT, refusal, tempHome } from "../helpers.ts";

/**
 * A plugin runtime is a preset of kind "plugin": resolveRuntime asks its `command` for the argv
 * and each run gets a parser around its `parse`. The example (examples/plugins/word-count.ts)
 * really runs here, through `sh`, as an agent would (the e2e test runs it under the compiled server).
 */

const presetsOf = (...plugins: RuntimePlugin[]) => ({
  ...presetsWith({}),
  ...Object.fromEntries(plugins.map((p) => [p.name, pluginPreset(p, `/plugins/${p.name}.ts`)])),
});
const choice = { model: "m1", task: "count * these $(words)", agentId: "A1" };
const linesOf = (parser: { line(text: string): unknown[] }, out: string) =>
  out.split("\n").flatMap((line) => parser.line(line));

describe("a plugin runtime resolves like a preset", () => {
  test("the example: its argv, run for real, and its parser's reports", () => {
    const runtime = resolveRuntime({ ...choice, runtime: "word-count" }, presetsOf(wordCount), "claude-code");
    expect(runtime).toMatchObject({
      name: "word-count",
      kind: "plugin",
      resumes: false,
      metering: "reports",
    });
    expect(runtime.argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(runtime.argv.slice(3)).toEqual(["word-count", "count * these $(words)", "m1", "0.05"]);
    const run = Bun.spawnSync(runtime.argv, { cwd: ROOT });
    const out = run.stdout.toString();
    // The task is data: no glob, no command substitution.
    expect(out).toContain("word 2: *\n");
    expect(out).toContain("word 4: $(words)\n");
    expect(linesOf(runtime.parser(), out)).toEqual([
      { kind: "progress", current: 1, total: 4 },
      { kind: "progress", current: 2, total: 4 },
      { kind: "progress", current: 3, total: 4 },
      { kind: "progress", current: 4, total: 4 },
      { kind: "usage", usage: { model: "m1", promptTokens: 4, completionTokens: 1, costUsd: 0.000004 } },
      { kind: "result", value: { words: 4 } },
    ]);
    const withInput = resolveRuntime({ ...choice, input: "and more" }, presetsOf(wordCount), "word-count");
    expect(withInput.argv[4]).toBe("count * these $(words)\nand more"); // also as the default runtime
  });

  test("its context, env and writable paths; the gateway's SDK env; a raw argv is still a raw argv", () => {
    let seen: unknown;
    const spy: RuntimePlugin = {
      kind: "runtime",
      name: "spy",
      env: { SPY: "1" },
      writable: ["~/.spy/"],
      command(context) {
        seen = context;
        return ["true"];
      },
    };
    const runtime = resolveRuntime(
      {
        ...choice,
        runtime: "spy",
        parentId: "P1",
        budgetUsd: 2.5,
        blockedCommands: ["rm"],
        gateway: { url: "http://127.0.0.1:9", apis: ["openai"] },
      },
      presetsOf(spy),
      "claude-code",
    );
    expect(seen).toEqual({
      task: choice.task,
      input: null,
      model: "m1",
      agentId: "A1",
      parentId: "P1",
      budgetUsd: 2.5,
      blockedCommands: ["rm"],
    });
    expect(runtime.env).toMatchObject({ SPY: "1", OPENAI_BASE_URL: "http://127.0.0.1:9/gateway/openai/v1" });
    expect([runtime.writable, runtime.metering, runtime.gatewayKeyEnv]).toEqual([
      ["~/.spy/"],
      "reports",
      ["OPENAI_API_KEY"],
    ]);
    const raw = resolveRuntime(
      { ...choice, runtime: "spy", command: ["echo", "{task}"] },
      presetsOf(spy),
      "x",
    );
    expect([raw.name, raw.kind, raw.argv]).toEqual(["command", "command", ["echo", choice.task]]);
  });

  test("an unknown runtime lists the plugin runtimes too; the server's checks see them", () => {
    const presets = presetsOf(wordCount);
    expect(() => resolveRuntime({ ...choice, runtime: "nope" }, presets, "x")).toThrow(
      /opencode, word-count/,
    );
    const catalog = { presets, defaultRuntime: "word-count" };
    expect(availableRuntimes(catalog)).toContain("word-count");
    expect(() => assertRunnable({ runtime: "word-count", fileSandbox: false }, catalog)).not.toThrow();
  });

  test("a command that throws, or returns no argv, is a validation error naming the plugin", () => {
    const returning = (value: unknown): RuntimePlugin => ({
      kind: "runtime",
      name: "bad",
      command: () => value as string[],
    });
    const cases: [RuntimePlugin, string][] = [
      [
        {
          kind: "runtime",
          name: "bad",
          command: () => {
            throw new Error("needs an input");
          },
        },
        "command() threw: needs an input",
      ],
      [returning([]), "it returned an empty array"],
      [returning(["ok", 1]), "it returned an array with a non-string in it"],
      [returning(Promise.resolve(["x"])), "it returned a Promise (it must not be async)"],
      [returning("echo hi"), "it returned string"],
      [returning(null), "it returned null"],
    ];
    for (const [plugin, expected] of cases) {
      const error = refusal(() => resolveRuntime({ ...choice, runtime: "bad" }, presetsOf(plugin), "x"));
      expect(error).toBeInstanceOf(DashError);
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.message).toBe(
        `runtime "bad" (plugin /plugins/bad.ts): ${expected.startsWith("command") ? expected : `command() must return an argv, a non-empty array of strings; ${expected}`}`,
      );
      expect(error.details).toEqual({ field: "config.runtime", plugin: "/plugins/bad.ts" });
    }
  });
});

describe("a plugin's parser", () => {
  const parserOf = (parse?: RuntimePlugin["parse"]) =>
    resolveRuntime(
      { ...choice, runtime: "p" },
      presetsOf({ kind: "runtime", name: "p", command: () => ["true"], ...(parse ? { parse } : {}) }),
      "x",
    ).parser();

  test("without parse, lines follow the report protocol", () => {
    const parser = parserOf();
    expect(parser.line('{"dash":"progress","current":1,"total":2}')).toEqual([
      { kind: "progress", current: 1, total: 2 },
    ]);
    expect(parser.line("plain log")).toEqual([]);
  });

  test("what parse returns is checked: bad reports, throws and odd values stay log; results are bounded", () => {
    const parser = parserOf((line) => {
      if (line === "throw") throw new Error("oops");
      if (line === "one") return { kind: "session", id: "s1" } as never;
      if (line === "none") return undefined as never;
      if (line === "big") return [{ kind: "result", value: "x".repeat(2_000_000) }];
      return [
        { kind: "progress", current: 5, total: 2 },
        { kind: "usage", usage: { promptTokens: -1, completionTokens: 0, costUsd: 0 } },
        { kind: "launch" } as never,
        { kind: "error", message: "failed" },
      ];
    });
    expect(parser.line("throw")).toEqual([]);
    expect(parser.line("none")).toEqual([]);
    expect(parser.line("one")).toEqual([{ kind: "session", id: "s1" }]);
    expect(parser.line("mixed")).toEqual([{ kind: "error", message: "failed" }]);
    const [big] = parser.line("big") as [{ kind: string; value: { tooLarge?: boolean } }];
    expect([big.kind, big.value.tooLarge]).toEqual(["result", true]);
  });
});

describe("dash serve's start", () => {
  const home = tempHome("dash-plugins-app-");
  afterAll(() => home.cleanup());

  test("a broken plugin stops startApp with its CONFIG_ERROR; a good one adds its runtime", async () => {
    const bad = join(ROOT, "tests/fixtures/plugins/command-not-function.ts");
    writeFileSync(join(home.dir, "config.yaml"), `plugins: [${bad}]\n`);
    const listen = { port: 0, host: "127.0.0.1" };
    const log = createLogger("error");
    const broken = await startApp(loadConfig({ DASH_HOME: home.dir }), listen, log).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(DashError);
    expect((broken as DashError).message).toStartWith(`plugin ${bad} (plugins[0] in config.yaml): `);
    expect((broken as DashError).message).toContain("command: must be a function");
    const example = join(ROOT, "examples/plugins/word-count.ts");
    writeFileSync(join(home.dir, "config.yaml"), `plugins: [${example}]\n`);
    // The database the failed start opened was closed: this start opens it again.
    const app = await startApp(loadConfig({ DASH_HOME: home.dir }), listen, log);
    try {
      expect((await fetch(new URL("/health", app.url))).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
