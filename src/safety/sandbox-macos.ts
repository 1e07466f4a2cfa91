import { components, isWithin } from "./paths.ts";
import type { SandboxPlan } from "./sandbox-plan.ts";

/**
 * The macOS counterpart of bwrapArgv: the agent runs under /usr/bin/sandbox-exec with a Seatbelt
 * (SBPL) profile. The profile never contains a path of the plan: each path is a `-D KEY=path`
 * parameter read with `(param "KEY")`, so no path (quotes, parentheses, newlines) can change the
 * profile's syntax, and there is no escaping to get wrong. sandbox-exec is run by its absolute path
 * (never looked up on PATH, where another one could come first).
 */
export const SANDBOX_EXEC = "/usr/bin/sandbox-exec";

/**
 * Writable whatever the plan: the devices every program writes to and the per-user temp dirs.
 * Seatbelt matches paths after symlinks are resolved: /tmp is /private/tmp, $TMPDIR lies in
 * /private/var/folders, and /dev/stdout is /dev/fd/1 (hence /dev/fd).
 */
const ALWAYS_WRITABLE = [
  ...["/dev/null", "/dev/tty", "/dev/stdout", "/dev/stderr", "/dev/dtracehelper"].map(
    (p) => `(literal "${p}")`,
  ),
  ...["/dev/fd", "/private/tmp", "/private/var/folders"].map((p) => `(subpath "${p}")`),
];

const depth = (path: string) => components(path).length;

/** Unix sockets bound or connected to at or below the path `ref`. */
const sockets = (ref: string) => `(local unix-socket (subpath ${ref})) (remote unix-socket (subpath ${ref}))`;

/**
 * The profile and its parameters. SBPL applies the LAST rule that matches, so the order is the policy:
 * 1. allow everything, deny every write, give back the writes of ALWAYS_WRITABLE (before the plan's
 *    rules, so a hidden path in a temp dir stays hidden);
 * 2. network off: `(deny network*)`, loopback included: macOS has no private network namespace, and
 *    the host's loopback is where Dash's API and other local services listen. Unix sockets are local
 *    IPC but reach host daemons too (a tmux server in /private/tmp, docker.sock, DNS through
 *    mDNSResponder), so only those under the workspace and writable paths, the agent's own, are
 *    given back in 3. Limit: mach services stay allowed, and some can use the network for a client;
 * 3. the hidden paths (no read, write, socket) and the kept ones (workspace and writable: read,
 *    write, own sockets), parent first as bwrap mounts them: the deeper rule wins, so a workspace
 *    inside a hidden DASH_HOME is usable and ~/.ssh inside a writable home stays hidden;
 * 4. the directories between a hidden path and a kept path inside it may be stat'ed (realpath, getcwd),
 *    as bwrap shows them (empty);
 * 5. blocked executables may be neither exec'd nor read (so not copied to be run from elsewhere), as
 *    bwrap puts /dev/null in their place; last, so no kept path gives them back.
 */
export function macosProfile(plan: SandboxPlan): { profile: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const param = (key: string, path: string): string => {
    params[key] = path;
    return `(param "${key}")`;
  };
  const kept = [plan.workspace, ...plan.writable];
  const layered = [
    ...plan.hidden.map((path, i) => ({ path, key: `HIDDEN_${i}`, hide: true })),
    { path: plan.workspace, key: "WORKSPACE", hide: false },
    ...plan.writable.map((path, i) => ({ path, key: `WRITABLE_${i}`, hide: false })),
  ].map((rule) => ({ ...rule, ref: param(rule.key, rule.path) }));
  const pathRules = layered
    .map((rule, i) => ({ rule, i }))
    .sort((a, b) => depth(a.rule.path) - depth(b.rule.path) || a.i - b.i)
    .flatMap(({ rule: { ref, hide } }) =>
      hide
        ? [`(deny file-read* file-write* (subpath ${ref}))`, `(deny network* ${sockets(ref)})`]
        : [`(allow file-read* file-write* (subpath ${ref}))`, `(allow network* ${sockets(ref)})`],
    );
  const rules = [
    "(version 1)",
    "(allow default)",
    "(deny file-write*)",
    `(allow file-write* ${ALWAYS_WRITABLE.join(" ")})`,
    ...(plan.network ? [] : ["(deny network*)"]),
    ...pathRules,
    ...between(kept, plan.hidden).map(
      (dir, i) => `(allow file-read-metadata (literal ${param(`DIR_${i}`, dir)}))`,
    ),
    ...plan.blockedExecutables.map(
      (path, i) => `(deny process-exec file-read-data (literal ${param(`BLOCKED_${i}`, path)}))`,
    ),
  ];
  return { profile: `${rules.join("\n")}\n`, params };
}

/** The directories from each hidden path down to the parent of each kept path strictly inside it. */
function between(kept: string[], hidden: string[]): string[] {
  const dirs = new Set<string>();
  for (const path of kept) {
    const parts = components(path);
    for (const outer of hidden) {
      if (!isWithin(path, outer) || depth(outer) >= parts.length) continue;
      for (let n = depth(outer); n < parts.length; n++) dirs.add(`/${parts.slice(0, n).join("/")}`);
    }
  }
  return [...dirs];
}

/**
 * The argv that runs `argv` under the plan: sandbox-exec's options, `--`, then the command (the
 * `--` is how Codex's seatbelt runner calls it too). The program must still not look like an
 * option: a name or a path, never empty nor starting with `-`.
 */
export function sandboxExecArgv(plan: SandboxPlan, argv: string[]): string[] {
  const program = argv[0];
  if (program === undefined || program === "" || program.startsWith("-")) {
    throw new Error(
      `sandbox-exec needs a program name or path to run, not ${JSON.stringify(program ?? null)}`,
    );
  }
  const { profile, params } = macosProfile(plan);
  const defines = Object.entries(params).flatMap(([key, value]) => ["-D", `${key}=${value}`]);
  return [SANDBOX_EXEC, "-p", profile, ...defines, "--", ...argv];
}
