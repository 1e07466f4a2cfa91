import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DashError } from "../../src/domain/errors.ts";
import type { Notification } from "../../src/notify/sink-plugin.ts";
import { loadPlugins } from "../../src/plugins/loader.ts";
import { loadServerPlugins } from "../../src/plugins/registry.ts";
import { PluginSchema } from "../../src/plugins/schema.ts";
import { presetsWith } from "../../src/runtimes/presets.ts";
import { ROOT, tempHome } from "../helpers.ts";

/**
 * Loading config.yaml's `plugins:` (src/plugins/). The modules are tests/fixtures/plugins/*, with
 * tests/fixtures as DASH_HOME so their entries are relative to it as a user's are; a syntax error
 * and an unresolvable import are written to a temp dir at run time (they would break tsc and Biome
 * in the tree, and, never evaluated, they stay out of the coverage report).
 */

const FIXTURES = join(ROOT, "tests/fixtures");
const at = (name: string) => join(FIXTURES, "plugins", name);
const temp = tempHome("dash-plugins-");
afterAll(() => temp.cleanup());
mkdirSync(join(temp.dir, "plugins"));

/** The CONFIG_ERROR loading these entries gives. */
async function refused(entries: string[], home = FIXTURES, presets = presetsWith({})): Promise<DashError> {
  const error = await loadServerPlugins({ plugins: entries, home }, presets).then(
    () => new Error("expected a refusal"),
    (e: unknown) => e,
  );
  if (!(error instanceof DashError)) throw error;
  expect(error.code).toBe("CONFIG_ERROR");
  return error;
}
const where = (name: string, index = 0) => `plugin ${at(name)} (plugins[${index}] in config.yaml)`;

const notification: Notification = {
  id: "01JZ0000000000000000000000",
  type: "swarm.completed",
  timestamp: new Date(0).toISOString(),
  source: "s",
  data: {},
  sink: "audit",
  attempt: 1,
  text: "done",
};
const signal = new AbortController().signal;

describe("loading plugins", () => {
  test("the example runtime and sink load: a runtime preset by name, a sink by name", async () => {
    const runtime = join(ROOT, "examples/plugins/word-count.ts"); // absolute: taken as it is
    const loaded = await loadServerPlugins(
      { plugins: [runtime, "../../examples/plugins/file-sink.ts"], home: FIXTURES },
      presetsWith({}),
    );
    expect(loaded.presets["word-count"]).toMatchObject({ kind: "plugin" });
    expect(loaded.presets["word-count"]?.plugin?.file).toBe(runtime);
    expect(loaded.presets["claude-code"]?.kind).toBe("claude-code"); // the others stay
    expect([...loaded.sinks.keys()]).toEqual(["jsonl-file"]);
    const sink = loaded.sinks.get("jsonl-file");
    const out = join(temp.dir, "notified.jsonl");
    process.env.DASH_NOTIFY_FILE = out;
    try {
      await sink?.deliver(notification, { signal });
      await sink?.deliver({ ...notification, attempt: 2 }, { signal });
      // A deliver past its signal is a failed delivery (retried), not a write.
      await expect(sink?.deliver(notification, { signal: AbortSignal.abort() })).rejects.toThrow();
    } finally {
      delete process.env.DASH_NOTIFY_FILE;
    }
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).attempt)).toEqual([1, 2]);
  });

  test("no plugins: the presets as they were, no sinks", async () => {
    const presets = presetsWith({});
    const loaded = await loadServerPlugins({ plugins: [], home: FIXTURES }, presets);
    expect(loaded.presets).toEqual(presets);
    expect(loaded.sinks.size).toBe(0);
  });

  test("an array of plugins, a named `plugin` export, a .js module; `this` is the plugin", async () => {
    const loaded = await loadPlugins(["plugins/many.ts", "plugins/named.js"], FIXTURES);
    expect([...loaded.runtimes.keys()]).toEqual(["many-runtime", "js-one"]);
    expect(loaded.runtimes.get("js-one")).toMatchObject({ file: at("named.js"), key: "plugins.1" });
    await loaded.sinks.get("hook")?.deliver(notification, { signal });
    const mod = (await import(at("many.ts"))) as { default: { sent?: string[] }[] };
    expect(mod.default[1]?.sent).toEqual([notification.id]);
  });

  test("a deliver that throws at once is a rejected delivery", async () => {
    const loaded = await loadPlugins(["plugins/sync-throw.ts"], FIXTURES);
    await expect(loaded.sinks.get("sync-throw")?.deliver(notification, { signal })).rejects.toThrow("down");
  });
});

describe("a broken plugin stops the start with a message naming the file", () => {
  test("a file that is not there, or a directory", async () => {
    const missing = await refused(["plugins/nope.ts"]);
    expect(missing.message).toBe(`${where("nope.ts")}: file not found`);
    expect(missing.details).toEqual({ key: "plugins.0", file: at("nope.ts") });
    expect((await refused(["plugins"])).message).toContain("is not a file");
  });

  test("a syntax error names its line and column; an import it cannot resolve says so", async () => {
    writeFileSync(join(temp.dir, "plugins/syntax.ts"), "export default {\n  kind: 'runtime',,\n};\n");
    const error = await refused(["plugins/syntax.ts"], temp.dir);
    expect(error.message).toStartWith(
      `plugin ${join(temp.dir, "plugins/syntax.ts")} (plugins[0] in config.yaml): `,
    );
    expect(error.message).toMatch(/syntax error at line 2, column \d+: /);
    writeFileSync(
      join(temp.dir, "plugins/unresolved.ts"),
      `import x from "./not-there.ts";\nexport default x;\n`,
    );
    const unresolved = await refused(["plugins/unresolved.ts"], temp.dir);
    expect(unresolved.message).toContain("importing it failed: Cannot find module './not-there.ts'");
  });

  test("an import that throws", async () => {
    const error = await refused(["plugins/import-throws.ts"]);
    expect(error.message).toBe(`${where("import-throws.ts")}: importing it failed: no token configured`);
  });

  test("a module with no plugin in it, an empty array, or something not an object", async () => {
    const cases: [string, string][] = [
      ["no-plugin.ts", "exports no plugin: `export default { kind, name, … }` (or an array)"],
      ["empty-array.ts", "exports an empty array of plugins"],
      ["not-object.ts", "its export is not an object"],
      ["array-not-object.ts", "its export [1] is not an object"],
    ];
    for (const [file, problem] of cases) {
      expect((await refused([`plugins/${file}`])).message).toBe(`${where(file)}: ${problem}`);
    }
  });

  test("a bad export says which field and why", async () => {
    expect((await refused(["plugins/command-not-function.ts"])).message).toBe(
      `${where("command-not-function.ts")}: the export: command: must be a function (context => argv) (in the plugin "a")`,
    );
    expect((await refused(["plugins/second-bad.ts"])).message).toEndWith(
      'export [1]: deliver: must be a function ((notification, { signal }) => Promise<void>) (in the plugin "s")',
    );
    const run = () => ["true"];
    const cases: [unknown, string, string][] = [
      [{ kind: "agent", name: "a" }, "kind", 'a plugin needs kind: "runtime" or kind: "sink"'],
      [{ name: "a" }, "kind", 'a plugin needs kind: "runtime" or kind: "sink"'],
      [{ kind: "runtime", name: "a b", command: run }, "name", "letters, digits, - and _ (at most 63)"],
      [
        { kind: "runtime", name: "a", command: run, parse: "json" },
        "parse",
        "must be a function (line => reports)",
      ],
      [
        { kind: "runtime", name: "a", command: run, env: { A: 1 } },
        "env.A",
        "Invalid input: expected string, received number",
      ],
      [
        { kind: "runtime", name: "a", command: run, writable: [""] },
        "writable.0",
        "Too small: expected string to have >=1 characters",
      ],
    ];
    for (const [plugin, path, message] of cases) {
      const issue = PluginSchema.safeParse(plugin).error?.issues[0];
      expect([issue?.path.join("."), issue?.message]).toEqual([path, message]);
    }
  });

  test("a name already taken: by another plugin, a built-in runtime, or config.yaml's runtimes", async () => {
    const twice = await refused(["plugins/echoer.ts", "plugins/echoer-again.ts"]);
    expect(twice.message).toBe(
      `${where("echoer-again.ts", 1)}: runtime "echoer" is already added by ${where("echoer.ts")}`,
    );
    expect((await refused(["plugins/dup-sinks.ts"])).message).toBe(
      `${where("dup-sinks.ts")}: sink "dup" is already added by this file`,
    );
    expect((await refused(["plugins/codex.ts"])).message).toBe(
      `${where("codex.ts")}: runtime "codex" cannot be added: "codex" is a built-in runtime's name`,
    );
    const withConfig = presetsWith({ mine: { kind: "command", command: ["true"] } });
    const taken = await refused(["plugins/mine.ts"], FIXTURES, withConfig);
    expect(taken.message).toBe(
      `${where("mine.ts")}: runtime "mine" cannot be added: "mine" is already a runtime under runtimes: in config.yaml`,
    );
    expect(taken.details).toEqual({ key: "plugins.0", file: at("mine.ts"), runtime: "mine" });
  });
});
