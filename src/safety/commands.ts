import { basename } from "node:path";
import { DashError } from "../domain/errors.ts";
import { realOrNormal } from "./paths.ts";

/**
 * A swarm's `blockedCommands` (PRD §5.2): names (`curl`) or paths (`/usr/bin/curl`). They are
 * checked on the agent's argv[0] as resolved on PATH and through symlinks, so `python3` blocks
 * `/usr/bin/python3.12` as well; inside the sandbox the resolved files are also masked, so a
 * shell the agent runs cannot start them either.
 */

/** The real file a program name runs (PATH lookup, then realpath), or null when it is not found. */
export function resolveProgram(program: string, searchPath: string | undefined): string | null {
  const found = Bun.which(program, { PATH: searchPath ?? "" });
  return found ? realOrNormal(found) : null;
}

/** The real files of the blocked commands that exist here (what the sandbox masks). */
export function blockedExecutables(blocked: string[] | undefined, searchPath: string | undefined): string[] {
  const out = (blocked ?? []).map((name) => resolveProgram(name, searchPath));
  return [...new Set(out.filter((path): path is string => path !== null))];
}

/** Refuses an argv whose program is blocked, naming both. */
export function assertNotBlocked(
  program: string,
  blocked: string[] | undefined,
  searchPath: string | undefined,
): void {
  if (!blocked?.length) return;
  const real = resolveProgram(program, searchPath);
  const names = new Set([program, basename(program), ...(real ? [real, basename(real)] : [])]);
  const hit = blocked.find(
    (entry) => names.has(entry) || (real !== null && resolveProgram(entry, searchPath) === real),
  );
  if (hit) {
    throw new DashError(
      "FORBIDDEN",
      `${program} is in this swarm's blockedCommands (${hit}): the agent may not run it`,
      {
        field: "config.blockedCommands",
        command: program,
      },
    );
  }
}
