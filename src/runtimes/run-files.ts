import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ExitStatus, LaunchSpec } from "./runtime.ts";

/**
 * The files of one agent under `DASH_HOME/runs/<agent id>/`: one output log for all its attempts
 * (byte offsets stay valid across retries), and per attempt the launch spec, the shim's identity
 * and its exit status. They are how a restarted server finds and settles what ran meanwhile.
 */
export function runFiles(home: string, agentId: string, attempt: number) {
  const dir = join(home, "runs", agentId);
  return {
    dir,
    log: join(dir, "output.log"),
    spec: join(dir, `spec-${attempt}.json`),
    shim: join(dir, `shim-${attempt}.json`),
    exit: join(dir, `exit-${attempt}.json`),
  };
}
export type RunFiles = ReturnType<typeof runFiles>;

export interface ShimSpec extends LaunchSpec {
  log: string;
  shim: string;
  exit: string;
}

export const ShimIdentitySchema = z.object({ pid: z.number().int(), startTime: z.string() });
export type ShimIdentity = z.infer<typeof ShimIdentitySchema>;

const ExitStatusSchema = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  error: z.string().optional(),
  endedAt: z.number(),
});

/**
 * Write then rename, so a reader never sees half a file (the server may be killed at any time).
 * Owner-only: a launch spec holds the agent's key and the environment it runs with.
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  // The temp name is this process's: the server and a shim both write a shim's identity.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value), { mode: 0o600 });
  renameSync(temp, path);
}

function readJson<T>(path: string, schema: z.ZodType<T>): T | null {
  if (!existsSync(path)) return null;
  try {
    return schema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    return null;
  }
}

export const readShimIdentity = (path: string) => readJson(path, ShimIdentitySchema);
export const readExitStatus = (path: string): ExitStatus | null => readJson(path, ExitStatusSchema);
