import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AgentRecord } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import type { ResolvedRuntime } from "../runtimes/presets.ts";
import { runFiles, writeJsonAtomic } from "../runtimes/run-files.ts";
import { createApiKey } from "../safety/api-keys.ts";
import type { Store } from "../storage/store.ts";

/**
 * Everything an attempt needs before its shim starts, or a DashError that says why it cannot
 * start (a program that is not installed; the budget was checked when it was admitted): its run files and workspace, its own
 * API key (DASH_AGENT_TOKEN, revoked when the attempt ends) and the launch spec the shim reads.
 */
export async function prepareAttempt(
  store: Store,
  options: { home: string; url: string; presets: Record<string, unknown> },
  agent: AgentRecord,
  runtime: ResolvedRuntime,
) {
  const program = runtime.argv[0] as string;
  if (!Bun.which(program)) {
    throw new DashError(
      "VALIDATION_ERROR",
      `${program}: command not found (runtime "${runtime.name}"); install it or pick another runtime: ${Object.keys(options.presets).join(", ")}`,
    );
  }
  const files = runFiles(options.home, agent.id, agent.retryCount);
  const cwd = join(options.home, "workspaces", agent.swarmId, agent.id);
  mkdirSync(files.dir, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  const token = await createApiKey(store, {
    name: `agent ${agent.id}`,
    permissions: ["read", "write"],
    scope: { swarmId: agent.swarmId, agentId: agent.id },
  });
  const env = {
    ...(process.env as Record<string, string>),
    ...runtime.env,
    // Some CLIs (opencode) take their working directory from PWD, not getcwd().
    PWD: cwd,
    DASH_URL: options.url,
    DASH_AGENT_ID: agent.id,
    DASH_SWARM_ID: agent.swarmId,
    DASH_AGENT_TOKEN: token.key,
    ...(agent.input === null ? {} : { DASH_INPUT: agent.input }),
  };
  writeJsonAtomic(files.spec, {
    argv: runtime.argv,
    cwd,
    env,
    log: files.log,
    shim: files.shim,
    exit: files.exit,
  });
  return { files, tokenId: token.record.id };
}
