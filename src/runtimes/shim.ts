import { closeSync, openSync, readFileSync } from "node:fs";
import { processStartTime } from "./process.ts";
import { type ShimSpec, writeJsonAtomic } from "./run-files.ts";
import type { ExitStatus } from "./runtime.ts";

/**
 * `dash __shim <spec.json>`: the process that stands between the server and an agent. It is its
 * own session and process group (the server spawns it detached), so it outlives the server; it
 * records who it is, runs the agent with its output appended to the agent's log by the kernel (no
 * copying here), and records how the agent ended. The group's SIGTERM is meant for the agent: the
 * shim only notes it and stays to write the exit status. SIGKILL ends it too; the server knows.
 */
export async function runShim(specPath: string): Promise<number> {
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as ShimSpec;
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => {});
  writeJsonAtomic(spec.shim, { pid: process.pid, startTime: processStartTime(process.pid) ?? "" });
  const log = openSync(spec.log, "a");
  let status: ExitStatus;
  try {
    const child = Bun.spawn(spec.argv, {
      cwd: spec.cwd,
      env: spec.env,
      stdin: "ignore",
      stdout: log,
      stderr: log,
    });
    await child.exited;
    status = {
      code: child.exitCode,
      signal: child.signalCode === null ? null : String(child.signalCode),
      endedAt: Date.now(),
    };
  } catch (error) {
    status = {
      code: 127,
      signal: null,
      error: `cannot start ${spec.argv[0]}: ${(error as Error).message}`,
      endedAt: Date.now(),
    };
  }
  closeSync(log);
  writeJsonAtomic(spec.exit, status);
  return 0;
}
