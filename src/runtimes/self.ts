import { dirname, join } from "node:path";

/**
 * The argv that runs this dash again (for the shim and the demo agent): the compiled binary alone,
 * or Bun with the entry script when running from source (tests, `bun src/main.ts`).
 */
/** Where this dash's own files are: the source tree (from source) or the binary's folder. */
export function selfRoot(): string {
  const compiled = import.meta.path.startsWith("/$bunfs/") || import.meta.path.includes("~BUN");
  return compiled ? dirname(process.execPath) : join(import.meta.dir, "..", "..");
}

export function selfArgv(): string[] {
  const compiled = import.meta.path.startsWith("/$bunfs/") || import.meta.path.includes("~BUN");
  return compiled ? [process.execPath] : [process.execPath, join(import.meta.dir, "..", "main.ts")];
}
