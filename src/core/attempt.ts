import { mkdirSync } from "node:fs";
import type { AgentRecord } from "../domain/agent.ts";
import { DashError } from "../domain/errors.ts";
import type { Provider } from "../domain/provider.ts";
import type { SwarmRecord } from "../domain/swarm.ts";
import { providerKeyEnvs } from "../runtimes/gateway-wiring.ts";
import type { ResolvedRuntime } from "../runtimes/presets.ts";
import { runFiles, writeJsonAtomic } from "../runtimes/run-files.ts";
import { openPlanTo } from "../safety/agent-access.ts";
import { agentUser } from "../safety/agent-user.ts";
import { createApiKey } from "../safety/api-keys.ts";
import { assertNotBlocked } from "../safety/commands.ts";
import { sandboxed } from "../safety/sandbox.ts";
import { planSandbox, type SandboxSettings } from "../safety/sandbox-plan.ts";
import type { Store } from "../storage/store.ts";
import { prepareWorktree } from "./worktree-agents.ts";
import { workDirOf } from "./worktrees.ts";

/**
 * Everything an attempt needs before its shim starts, or a DashError that says why it cannot
 * start (a program that is not installed or blocked, a sandbox this machine cannot give; the
 * budget was checked when it was admitted): its run files and workspace, the sandbox around it,
 * its own API key (DASH_AGENT_TOKEN, revoked when the attempt ends) and the launch spec the shim reads.
 */
export async function prepareAttempt(
  store: Store,
  options: {
    home: string;
    url: string;
    presets: Record<string, unknown>;
    sandbox?: SandboxSettings;
    providers?: Record<string, Provider>;
  },
  agent: AgentRecord,
  runtime: ResolvedRuntime,
  swarm: SwarmRecord,
) {
  const { config } = swarm;
  const program = runtime.argv[0] as string;
  const searchPath = process.env.PATH;
  assertNotBlocked(program, config.blockedCommands, searchPath);
  if (!Bun.which(program, { PATH: searchPath ?? "" })) {
    throw new DashError(
      "VALIDATION_ERROR",
      `${program}: command not found (runtime "${runtime.name}"); install it or pick another runtime: ${Object.keys(options.presets).join(", ")}`,
    );
  }
  const files = runFiles(options.home, agent.id, agent.retryCount);
  mkdirSync(files.dir, { recursive: true });
  const worktree = await prepareWorktree(store, options.home, swarm, agent);
  const cwd = workDirOf(options.home, agent, config.repo);
  if (!worktree) mkdirSync(cwd, { recursive: true });
  // In a worktree the agent commits: the repository's objects and refs must be writable too.
  const granted = worktree ? [...(config.allowedPaths ?? []), worktree.gitDir] : config.allowedPaths;
  const baseEnv = { ...(process.env as Record<string, string>), ...runtime.env };
  // The server's own key never reaches an agent (it has DASH_AGENT_TOKEN, scoped to itself), nor
  // the addresses of the user's agents and buses, which would be ways out of the sandbox.
  for (const name of [
    "DASH_API_KEY",
    "SSH_AUTH_SOCK",
    "DBUS_SESSION_BUS_ADDRESS",
    "DOCKER_HOST",
    "GPG_AGENT_INFO",
    // The gateway's provider keys stay with the server: agents call through it with their token.
    ...providerKeyEnvs(options.providers ?? {}),
    ...(runtime.gatewayKeyEnv.length > 0 ? ["ANTHROPIC_AUTH_TOKEN"] : []),
  ]) {
    delete baseEnv[name];
  }
  const plan = config.fileSandbox
    ? planSandbox(options.sandbox ?? { protect: [options.home], hide: [] }, {
        workspace: cwd,
        allowedPaths: granted,
        runtimeWritable: runtime.writable,
        blockedCommands: config.blockedCommands,
        network: config.network,
        env: baseEnv,
      })
    : null;
  // A root server's agents run as an unprivileged user, given what its plan makes writable.
  const user = plan ? agentUser(options.sandbox?.user) : null;
  if (plan && user) plan.user = user;
  // What is missing (bwrap, setpriv) is said first; then the plan's paths are opened to the user.
  const launch = sandboxed(plan, runtime.argv, searchPath);
  if (plan && user) openPlanTo(user, plan, worktree ? [] : [plan.workspace]);
  const token = await createApiKey(store, {
    name: `agent ${agent.id}`,
    permissions: ["read", "write"],
    scope: { swarmId: agent.swarmId, agentId: agent.id },
  });
  const env = {
    ...baseEnv,
    // Some CLIs (opencode) take their working directory from PWD, not getcwd().
    PWD: cwd,
    DASH_URL: options.url,
    DASH_AGENT_ID: agent.id,
    DASH_SWARM_ID: agent.swarmId,
    DASH_AGENT_TOKEN: token.key,
    ...Object.fromEntries(runtime.gatewayKeyEnv.map((name) => [name, token.key])),
    ...(agent.input === null ? {} : { DASH_INPUT: agent.input }),
    ...(worktree ? { DASH_BRANCH: worktree.branch, DASH_BRANCHES: worktree.others.join(" ") } : {}),
    // The repository stays root's: the agent's git must not refuse it as "dubious ownership".
    ...(user ? trustAnyRepository(baseEnv) : {}),
  };
  writeJsonAtomic(files.spec, {
    argv: launch.argv,
    cwd,
    env,
    log: files.log,
    shim: files.shim,
    exit: files.exit,
  });
  const root = process.getuid?.() === 0;
  const warning =
    root && !plan
      ? "runs as root with no file sandbox (fileSandbox: false): it can read and change everything root can"
      : undefined;
  return { files, tokenId: token.record.id, sandbox: launch.kind, user: user?.name, warning };
}

/** git's `safe.directory=*` for one process, after the configuration its environment already gives. */
function trustAnyRepository(env: Record<string, string | undefined>): Record<string, string> {
  const count = Number(env.GIT_CONFIG_COUNT ?? 0) || 0;
  return {
    GIT_CONFIG_COUNT: String(count + 1),
    [`GIT_CONFIG_KEY_${count}`]: "safe.directory",
    [`GIT_CONFIG_VALUE_${count}`]: "*",
  };
}
