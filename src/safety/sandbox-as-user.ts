import { dirname } from "node:path";
import type { AgentUser } from "./agent-user.ts";
import { components, isWithin } from "./paths.ts";
import type { SandboxPlan } from "./sandbox-plan.ts";

/** One mount of bwrap's argv, applied in order of depth (see bwrapArgv). */
export type MountOp = { flag: "--tmpfs" | "--bind" | "--ro-bind" | "--ro-bind-null" | "--dir"; path: string };

/**
 * A root server's bwrap mounts as root (so it reaches a DASH_HOME under /root), without a user
 * namespace, which would map the agent back to uid 0 outside; it keeps only what setpriv needs to
 * become the agent's user, and setpriv drops that too (no capability, bounding set or group left;
 * bwrap's no_new_privs stops a setuid program from getting any back).
 */
export function asAgentUser(plan: SandboxPlan, user: AgentUser, setpriv: string, argv: string[]): string[] {
  const namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"];
  const caps = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"].flatMap((cap) => ["--cap-add", cap]);
  const drop = [
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    "--clear-groups",
    "--bounding-set=-all",
    "--inh-caps=-all",
  ];
  return [
    ...namespaces,
    ...(plan.network ? [] : ["--unshare-net"]),
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    ...caps,
    "--",
    setpriv,
    ...drop,
    "--no-new-privs",
    "--",
    ...argv,
  ];
}

/**
 * bwrap makes the directories above a mount inside an empty tmpfs mode 0700, root's: an agent
 * that is not root could not reach its own workspace. They are made 0711 instead (passable, not
 * listable), before the mount below them.
 */
export function passable(ops: MountOp[]): MountOp[] {
  const containers = ops.filter(
    (op) => op.flag === "--tmpfs" || op.flag === "--bind" || op.flag === "--ro-bind",
  );
  const dirs = new Set<string>();
  for (const op of ops) {
    if (op.flag === "--tmpfs") continue;
    for (let dir = dirname(op.path); dir !== "/"; dir = dirname(dir)) {
      // The deepest mount that holds `dir`: only a directory of a tmpfs is bwrap's to make.
      const holder = containers
        .filter((mount) => isWithin(dir, mount.path))
        .sort((a, b) => components(b.path).length - components(a.path).length)[0];
      if (holder?.flag !== "--tmpfs" || holder.path === dir) break;
      dirs.add(dir);
    }
  }
  return [...dirs].map((path): MountOp => ({ flag: "--dir", path }));
}
