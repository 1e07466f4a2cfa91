import { realpathSync } from "node:fs";
import { type Config, loadConfig } from "../config.ts";
import { firstRunRuntime, type RuntimeCatalog } from "../core/runnable.ts";
import { presetsWith } from "../runtimes/presets.ts";
import { selfArgv, selfRoot } from "../runtimes/self.ts";
import { bold, dim } from "./style.ts";

/**
 * What a newcomer is told to type first, on `dash serve`'s first start and under `dash --help`:
 * a command that works as shown on THIS machine — this very dash, and a runtime whose CLI is
 * installed here (else `demo`, which needs none).
 */

/** The runtimes of the server's config (the built-in ones when the config cannot be read). */
export function catalogOf(config?: Config): RuntimeCatalog {
  let loaded = config;
  try {
    loaded ??= loadConfig();
  } catch {
    // A broken config.yaml is `dash serve`'s to report; the examples fall back to the built-ins.
  }
  return {
    presets: presetsWith(loaded?.runtimes ?? {}, loaded?.openclaw ?? {}),
    defaultRuntime: loaded?.defaults.runtime ?? "claude-code",
  };
}

const real = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};

/**
 * How a person runs this dash again: `dash` when that is this very program, else its own path.
 * A `dash` on PATH may be another program (Debian's /bin/dash is a shell), so it is compared.
 */
export function selfCommand(): string {
  const argv = selfArgv();
  if (argv.length === 1) {
    const onPath = Bun.which("dash");
    return onPath && real(onPath) === real(process.execPath) ? "dash" : (argv[0] as string);
  }
  // From source: the package's `dash` script where the clone is, Bun and the entry elsewhere.
  return real(process.cwd()) === real(selfRoot()) ? "bun run dash" : `bun ${argv[1]}`;
}

/**
 * `… swarm create demo --task "Say hello" --agents 3 [--runtime X]` for this machine, and, when
 * that runtime is `demo`, why (no agent CLI was found here). The runtimes are looked up once.
 */
export function firstSwarm(
  catalog: RuntimeCatalog,
  searchPath = process.env.PATH,
): { command: string; note: string | null } {
  const runtime = firstRunRuntime(catalog, searchPath);
  const flag = runtime === catalog.defaultRuntime ? "" : ` --runtime ${runtime}`;
  const note =
    runtime === "demo"
      ? "no agent CLI (claude, codex, gemini, opencode) is installed here: demo agents do made-up work. Install one, e.g. npm install -g @anthropic-ai/claude-code"
      : null;
  return { command: `${selfCommand()} swarm create demo --task "Say hello" --agents 3${flag}`, note };
}

/** The examples under `dash --help`. */
export function firstSteps(catalog: RuntimeCatalog = catalogOf()): string {
  const self = selfCommand();
  const { command, note } = firstSwarm(catalog);
  const steps: [string, string][] = [
    [`${self} serve`, "the server (prints an admin key on first start)"],
    [command, note ? "demo agents: no agent CLI is installed here" : "three agents say hello"],
    [`${self} dashboard`, "watch them live"],
    [`${self} doctor`, "what is missing on this machine, and how to fix it"],
  ];
  return [
    bold("FIRST STEPS"),
    ...steps.flatMap(([command, why]) => ["", dim(`  # ${why}`), `  ${command}`]),
    ...(note ? ["", dim(`  ${note}`)] : []),
    "",
  ].join("\n");
}
