import { existsSync } from "node:fs";
import { DashError } from "../domain/errors.ts";
import type { SwarmConfig } from "../domain/swarm.ts";
import { installHint } from "../runtimes/install-hints.ts";
import { type RuntimePreset, resolveRuntime } from "../runtimes/presets.ts";
import { assertNotBlocked } from "../safety/commands.ts";
import { findBwrap } from "../safety/sandbox.ts";

/** The runtimes a server offers and the one a swarm gets when it names none. */
export interface RuntimeCatalog {
  presets: Record<string, RuntimePreset>;
  defaultRuntime: string;
}

/** The coding-agent CLIs a first run may use, in the order a newcomer is offered them. */
const CLI_RUNTIMES = ["claude-code", "codex", "gemini", "opencode"];

/** The runtime and program a swarm's agents would start, resolved as a launch would. */
function programOf(config: Partial<SwarmConfig>, catalog: RuntimeCatalog) {
  const runtime = resolveRuntime(
    { ...config, model: config.model ?? "default", task: "", agentId: "check" },
    catalog.presets,
    catalog.defaultRuntime,
  );
  return { name: runtime.name, program: runtime.argv[0] as string };
}

/**
 * Where each program was found on a PATH, and when that was last seen true: a PATH search stats
 * every directory (~2 % of a swarm create's CPU under load), and even the one stat of the file
 * found last time was 4 % (issue 29). A finding younger than a second is trusted as it is; an
 * older one is checked with one stat, and a program removed since is searched for again, so it is
 * refused within a second (every launch checks again anyway).
 */
const foundAt = new Map<string, { path: string; seenAt: number }>();
const FRESH_MS = 1000;

function installed(program: string, searchPath: string | undefined): boolean {
  const key = `${program}\0${searchPath ?? ""}`;
  const last = foundAt.get(key);
  const now = performance.now();
  if (last !== undefined && now - last.seenAt < FRESH_MS) return true;
  if (last !== undefined && existsSync(last.path)) {
    last.seenAt = now;
    return true;
  }
  const path = Bun.which(program, { PATH: searchPath ?? "" });
  if (path === null) {
    foundAt.delete(key);
    return false;
  }
  if (foundAt.size >= 256) foundAt.clear();
  foundAt.set(key, { path, seenAt: now });
  return true;
}

/**
 * Refuses, before anything is written, a swarm whose agents could not start on this server: a
 * runtime whose program is not on the server's PATH (with how to install it), a blocked program,
 * or a file sandbox this machine cannot give. The same checks run again at each launch.
 */
export function assertRunnable(
  config: Partial<SwarmConfig>,
  catalog: RuntimeCatalog,
  searchPath: string | undefined = process.env.PATH,
): void {
  const { name, program } = programOf(config, catalog);
  assertNotBlocked(program, config.blockedCommands, searchPath);
  if (!installed(program, searchPath)) {
    const others = availableRuntimes(catalog, searchPath).filter((other) => other !== name);
    throw new DashError(
      "VALIDATION_ERROR",
      `runtime "${name}" needs \`${program}\`, which is not installed on the server (not on its PATH): ${installHint(name, program)}${others.length > 0 ? `; or pick a runtime that is: ${others.join(", ")}` : ""}`,
      { field: "config.runtime", runtime: name, program, install: installHint(name, program) },
    );
  }
  if (config.fileSandbox !== false && process.platform === "linux") findBwrap(searchPath);
}

/** The runtimes whose program is on the server's PATH (those that need a raw argv left out). */
export function availableRuntimes(
  catalog: RuntimeCatalog,
  searchPath: string | undefined = process.env.PATH,
) {
  return Object.keys(catalog.presets)
    .filter((name) => {
      try {
        return installed(programOf({ runtime: name }, catalog).program, searchPath);
      } catch {
        return false; // `command` needs config.command; a preset that cannot resolve alone
      }
    })
    .sort();
}

/**
 * The runtime a newcomer's first swarm should use: the default when its CLI is here, else the
 * first coding-agent CLI found, else an OpenAI-compatible endpoint the config names, else `demo`.
 */
export function firstRunRuntime(catalog: RuntimeCatalog, searchPath: string | undefined = process.env.PATH) {
  const here = new Set(availableRuntimes(catalog, searchPath));
  const cli = [catalog.defaultRuntime, ...CLI_RUNTIMES].find(
    (name) => here.has(name) && catalog.presets[name]?.kind !== "demo",
  );
  if (cli) return cli;
  const endpoint = Object.entries(catalog.presets).find(
    ([, preset]) => preset.kind === "openai" && preset.baseUrl && !preset.baseUrl.includes("api.openai.com"),
  );
  return endpoint ? endpoint[0] : "demo";
}
