import { type CommandDef, runCommand, showUsage } from "citty";
import { DashError, type ErrorCode } from "../domain/errors.ts";
import { red } from "./style.ts";

/** Exit codes scripts can rely on: 2 bad usage or input, 3 auth, 4 no server, 1 anything else. */
export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 3, unreachable: 4 } as const;

const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: EXIT.usage,
  UNAUTHORIZED: EXIT.auth,
  FORBIDDEN: EXIT.auth,
  UNREACHABLE: EXIT.unreachable,
};

/** The CLI's one error handler: a clear line on stderr and a meaningful exit code, never a stack. */
export function reportError(error: unknown): number {
  if (error instanceof DashError) {
    process.stderr.write(`${red("error:")} ${error.message}\n`);
    return EXIT_BY_CODE[error.code] ?? EXIT.failure;
  }
  if (error instanceof Error && error.name === "CLIError") {
    process.stderr.write(`${red("error:")} ${error.message}\nRun with --help to see the usage.\n`);
    return EXIT.usage;
  }
  process.stderr.write(
    `${red("error:")} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.failure;
}

async function resolveTarget(cmd: CommandDef, args: string[]): Promise<[CommandDef, CommandDef | undefined]> {
  let current = cmd;
  let parent: CommandDef | undefined;
  for (const arg of args) {
    if (arg.startsWith("-")) break;
    const subs =
      typeof current.subCommands === "function" ? await current.subCommands() : await current.subCommands;
    const next = subs?.[arg];
    if (!next) break;
    parent = current;
    current = (typeof next === "function" ? await next() : await next) as CommandDef;
  }
  return [current, parent];
}

/** The examples under the top-level usage: commands that work as shown on this machine. */
async function printFirstSteps(): Promise<void> {
  const { firstSteps } = await import("./first-run.ts");
  process.stdout.write(`${firstSteps()}\n`);
}

/** Like citty's runMain, but errors go through reportError and set the exit code. */
export async function runCli(main: CommandDef, rawArgs: string[], version: string): Promise<number> {
  try {
    if (rawArgs.includes("--help") || rawArgs.includes("-h")) {
      const [target, parent] = await resolveTarget(main, rawArgs);
      await showUsage(target, parent);
      if (target === main) await printFirstSteps();
      return EXIT.ok;
    }
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      process.stdout.write(`${version}\n`);
      return EXIT.ok;
    }
    if (rawArgs.length === 0) {
      await showUsage(main);
      await printFirstSteps();
      return EXIT.ok;
    }
    await runCommand(main, { rawArgs });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    return reportError(error);
  }
}
