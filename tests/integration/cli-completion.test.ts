import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ArgsDef, defineCommand } from "citty";
import { commandTree } from "../../src/cli/completion.ts";
import { main } from "../../src/cli/index.ts";
import { EXIT, runCli } from "../../src/cli/run.ts";
import { captureConsole, tempHome } from "../helpers.ts";

// `dash completion` in-process; the scripts it prints are then read by the real shells.
const scratch = tempHome("dash-completion-");
let out: string[] = [];
let err: string[] = [];
const spies: { mockRestore: () => void }[] = [];
beforeEach(() => {
  process.env.NO_COLOR = "1";
  out = [];
  err = [];
  spies.push(
    ...captureConsole(
      () => out,
      () => err,
    ),
  );
});
afterEach(() => {
  for (const s of spies.splice(0)) s.mockRestore();
  process.exitCode = 0;
});
afterAll(() => scratch.cleanup());

async function script(shell: string): Promise<string> {
  out = [];
  expect(await runCli(main, ["completion", shell], "test")).toBe(EXIT.ok);
  const path = join(scratch.dir, `dash.${shell}`);
  writeFileSync(path, out.join("\n"));
  return path;
}

const run = (argv: string[]) => {
  const proc = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
};

describe("dash completion", () => {
  test("bash: every command, a nested one and its flags; valid bash that completes", async () => {
    const path = await script("bash");
    const text = await Bun.file(path).text();
    for (const word of [
      "swarm",
      "agent",
      "doctor",
      "completion",
      "'dash swarm create'",
      "--task",
      "--no-sandbox",
    ]) {
      expect(text).toContain(word);
    }
    expect(run(["bash", "-n", path])).toMatchObject({ code: 0, err: "" });
    // Real completion: bash reads the script and asks it, as it does on Tab.
    const ask = (...words: string[]) => {
      const quoted = words.map((w) => `'${w}'`).join(" ");
      const probe = `source '${path}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _dash; echo "\${COMPREPLY[*]}"`;
      return run(["bash", "-c", probe]).out.trim();
    };
    expect(ask("dash", "sw")).toBe("swarm");
    expect(ask("dash", "swarm", "cr")).toBe("create");
    expect(ask("dash", "swarm", "create", "name", "--task", "t", "--no-s")).toBe("--no-sandbox");
    expect(ask("dash", "--url", "http://x", "agent", "logs", "--fo")).toBe("--follow");
    // The value of a flag is left to bash's file names.
    expect(ask("dash", "swarm", "create", "--inputs", "")).toBe("");
  });

  test("zsh and fish: the same tree, with descriptions", async () => {
    const zsh = await Bun.file(await script("zsh")).text();
    expect(zsh).toStartWith("#compdef dash");
    expect(zsh).toContain("('dash swarm create')");
    expect(zsh).toContain("'doctor:Check this machine");
    expect(zsh).toContain("'--task:What the agents should do");
    const fish = await Bun.file(await script("fish")).text();
    expect(fish).toContain("complete -c dash -n 'test (__dash_cmd) = \\'dash swarm\\'' -a create");
    expect(fish).toContain("-l task -r -F");
    expect(fish).toContain("-l follow -s f");
  });

  test.skipIf(!Bun.which("zsh"))("zsh reads its script", async () => {
    expect(run(["zsh", "-n", await script("zsh")])).toMatchObject({ code: 0, err: "" });
  });

  test.skipIf(!Bun.which("fish"))("fish reads its script and completes with it", async () => {
    const path = await script("fish");
    expect(run(["fish", "-n", path])).toMatchObject({ code: 0, err: "" });
    const ask = (line: string) => run(["fish", "-c", `source '${path}'; complete -C '${line}'`]).out;
    expect(ask("dash swarm cr")).toStartWith("create\tCreate a swarm");
    expect(ask("dash swarm create --no-s")).toStartWith("--no-sandbox\t");
  });

  test("an unknown or missing shell is a usage error; --help says how to install it", async () => {
    expect(await runCli(main, ["completion", "powershell"], "test")).toBe(EXIT.usage);
    expect(err.join("")).toContain('unknown shell "powershell": pick bash, zsh or fish');
    expect(await runCli(main, ["completion"], "test")).toBe(EXIT.usage);
    out = [];
    expect(await runCli(main, ["completion", "--help"], "test")).toBe(EXIT.ok);
    expect(out.join("\n")).toContain(
      "dash completion bash > ~/.local/share/bash-completion/completions/dash",
    );
  });

  test("the tree: lazy subcommands resolved, hidden ones left out, aliases and --no- spellings", async () => {
    const shownArgs: ArgsDef = {
      id: { type: "positional" },
      follow: { type: "boolean", alias: ["f", "tail"], description: "Follow" },
      color: { type: "boolean", default: true },
      "no-wait": { type: "boolean", default: true },
      port: { type: "string" },
    };
    const root = defineCommand({
      meta: { name: "x" },
      subCommands: {
        shown: () =>
          Promise.resolve(
            defineCommand({
              meta: () => ({ name: "shown", description: "Shown" }),
              args: async () => shownArgs,
            }),
          ),
        secret: defineCommand({ meta: { name: "secret", hidden: true } }),
      },
    });
    const tree = await commandTree(root);
    expect(tree.name).toBe("x");
    expect(tree.children.map((c) => c.name)).toEqual(["shown"]);
    const shown = tree.children[0];
    expect(shown?.path).toEqual(["shown"]);
    expect(shown?.flags.map((f) => [f.names.join(","), f.takesValue])).toEqual([
      ["--follow,-f,--tail", false],
      ["--color", false],
      ["--no-color", false],
      ["--no-wait", false],
      ["--port", true],
      ["--help,-h", false],
    ]);
  });
});
