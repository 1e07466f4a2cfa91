import { type ArgsDef, type CommandDef, defineCommand, type Resolvable } from "citty";
import { z } from "zod";
import { UsageError } from "./common.ts";
import { bashScript, fishScript, zshScript } from "./completion-scripts.ts";

/** One spelling set of a flag: `--name` and its aliases (`-f`), and whether a value follows it. */
export interface FlagSpec {
  names: string[];
  takesValue: boolean;
  description: string;
}

/** A command of the tree: `path` is the words after `dash` that reach it ([] for dash itself). */
export interface CommandNode {
  name: string;
  path: string[];
  description: string;
  flags: FlagSpec[];
  children: CommandNode[];
}

async function resolve<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

const HELP: FlagSpec = {
  names: ["--help", "-h"],
  takesValue: false,
  description: "Show this command's usage",
};

/** citty's spellings: `-x` for a one-letter alias, and `--no-name` for a boolean that defaults to true. */
function flagsOf(args: ArgsDef): FlagSpec[] {
  const flags = Object.entries(args).flatMap(([name, def]): FlagSpec[] => {
    if (def.type === "positional") return [];
    const aliases = "alias" in def && def.alias !== undefined ? [def.alias].flat() : [];
    const spelled = aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`));
    const description = def.description ?? "";
    const flag = { names: [`--${name}`, ...spelled], takesValue: def.type !== "boolean", description };
    const negated = def.type === "boolean" && def.default === true && !/^no[-A-Z]/.test(name);
    return negated ? [flag, { names: [`--no-${name}`], takesValue: false, description }] : [flag];
  });
  return [...flags, HELP];
}

/** The whole command tree, lazy subcommands imported, hidden ones left out. */
export async function commandTree(cmd: CommandDef, path: string[] = []): Promise<CommandNode> {
  const meta = await resolve(cmd.meta ?? {});
  const subs = await resolve(cmd.subCommands ?? {});
  const children: CommandNode[] = [];
  for (const [name, sub] of Object.entries(subs)) {
    const child: CommandDef = await resolve(sub);
    if ((await resolve(child.meta ?? {})).hidden) continue;
    children.push(await commandTree(child, [...path, name]));
  }
  return {
    name: path.at(-1) ?? meta.name ?? "dash",
    path,
    description: meta.description ?? "",
    flags: flagsOf(await resolve(cmd.args ?? {})),
    children,
  };
}

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;
const ShellSchema = z.enum(["bash", "zsh", "fish"]);

export default defineCommand({
  meta: { name: "completion", description: "Print the shell completion script for bash, zsh or fish" },
  args: {
    shell: {
      type: "positional",
      required: true,
      description:
        "bash | zsh | fish. Install: dash completion bash > ~/.local/share/bash-completion/completions/dash; " +
        "dash completion zsh > ~/.zfunc/_dash (with fpath+=(~/.zfunc) before compinit in ~/.zshrc); " +
        "dash completion fish > ~/.config/fish/completions/dash.fish",
    },
  },
  async run({ args }) {
    const shell = ShellSchema.safeParse(args.shell);
    if (!shell.success) throw new UsageError(`unknown shell "${args.shell}": pick bash, zsh or fish`);
    // Lazily: index.ts imports this file lazily too, and the tree is the one `dash` runs.
    const { main } = await import("./index.ts");
    console.log(SCRIPTS[shell.data](await commandTree(main)));
  },
});
