import { statSync } from "node:fs";
import { DashError } from "../domain/errors.ts";
import { components, isWithin, realOrNormal } from "./paths.ts";
import { asAgentUser, type MountOp, passable } from "./sandbox-as-user.ts";
import { sandboxExecArgv } from "./sandbox-macos.ts";
import type { SandboxPlan } from "./sandbox-plan.ts";

/**
 * The kernel-enforced file sandbox of process agents (DESIGN.md §5). The chain is server → shim →
 * bwrap → agent: `--die-with-parent` ties the agent to its shim, never to the server. If the
 * sandbox is asked for and cannot be had, the agent fails with what is missing: it never runs
 * unconfined. `fileSandbox: false` is the operator's explicit choice, recorded on the agent.
 */
export type SandboxKind = "bwrap" | "sandbox-exec" | "off";

export const INSTALL_HINT =
  "install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; Alpine: apk add bubblewrap) " +
  "or set config.fileSandbox: false to run this swarm's agents unconfined";

const RESOLV_CONF = realOrNormal("/etc/resolv.conf");

/**
 * The bwrap argv that runs `argv` under `plan`. Mounts are applied parent first (by depth), so a
 * writable path inside a hidden one is bound back on top of it, and a hidden path inside a writable
 * one (~/.ssh under a granted home) stays hidden: the deeper rule wins either way.
 */
export function bwrapArgv(bwrap: string, plan: SandboxPlan, argv: string[], setpriv = "setpriv"): string[] {
  const mountOps: MountOp[] = [
    { flag: "--tmpfs", path: "/tmp" },
    ...plan.hidden.map((path): MountOp => {
      const dir = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? true;
      return { flag: dir ? "--tmpfs" : "--ro-bind-null", path };
    }),
    ...[plan.workspace, ...plan.writable].map((path): MountOp => ({ flag: "--bind", path })),
    ...plan.blockedExecutables.map((path): MountOp => ({ flag: "--ro-bind-null", path })),
    // DNS still works when /etc/resolv.conf points into a hidden /run (systemd-resolved); dash's
    // own files (the shim's agents run them) stay readable when they live under /tmp.
    ...[RESOLV_CONF, ...(plan.readable ?? [])]
      .filter((path) => ["/tmp", ...plan.hidden].some((hidden) => isWithin(path, hidden)))
      .map((path): MountOp => ({ flag: "--ro-bind", path })),
  ];
  const ops = plan.user ? [...mountOps, ...passable(mountOps)] : mountOps;
  const depth = (op: MountOp) => components(op.path).length;
  const mounts = ops
    .map((op, i) => ({ op, i }))
    .sort((a, b) => depth(a.op) - depth(b.op) || a.i - b.i)
    .flatMap(({ op }) => {
      if (op.flag === "--bind" || op.flag === "--ro-bind") return [op.flag, op.path, op.path];
      // An agent user's /tmp must be writable for it (mode 1777, as the host's), not root's 0755.
      if (op.flag === "--tmpfs" && op.path === "/tmp" && plan.user)
        return ["--perms", "1777", "--tmpfs", "/tmp"];
      if (op.flag === "--tmpfs") return ["--tmpfs", op.path];
      if (op.flag === "--dir") return ["--perms", "0711", "--dir", op.path];
      // An executable or a file replaced by an empty, unexecutable /dev/null.
      return ["--ro-bind", "/dev/null", op.path];
    });
  // Hidden directories end up empty AND read-only (the paths bound inside them stay writable), so
  // a write there fails instead of landing in a tmpfs that vanishes with the agent.
  const bound = new Set([plan.workspace, ...plan.writable]);
  const sealed = ops.filter((op) => op.flag === "--tmpfs" && op.path !== "/tmp" && !bound.has(op.path));
  const remounts = sealed.flatMap((op) => ["--remount-ro", op.path]);
  return [
    bwrap,
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    ...mounts,
    ...remounts,
    "--chdir",
    plan.workspace,
    ...(plan.user ? asAgentUser(plan, plan.user, setpriv, argv) : unprivileged(plan, argv)),
  ];
}

/** bwrap as the server's own user: every namespace, the user's one included, and no capability. */
function unprivileged(plan: SandboxPlan, argv: string[]): string[] {
  const net = plan.network ? ["--share-net"] : [];
  // As root bwrap keeps every capability otherwise, and `/` could be remounted read-write.
  return ["--unshare-all", ...net, "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--", ...argv];
}

/** Successful probes only: a failure is probed again at the next launch (it may have been passing). */
const probes = new Map<string, null>();
/** bwrap as first found on each search path: a file planted on PATH later is not picked up. */
const found = new Map<string, string>();

/** Whether bwrap can make a sandbox on this machine (user namespaces allowed…): null, or why not. */
export function probeBwrap(bwrap: string): string | null {
  if (probes.has(bwrap)) return null;
  const run = Bun.spawnSync(
    [bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--", "true"],
    { stdout: "ignore", stderr: "pipe" },
  );
  const why = run.exitCode === 0 ? null : run.stderr.toString().trim() || `bwrap exited with ${run.exitCode}`;
  if (why === null) probes.set(bwrap, null);
  return why;
}

/** bwrap on `searchPath`, checked to work here, or a SANDBOX_UNAVAILABLE saying what is missing. */
export function findBwrap(searchPath: string | undefined): string {
  const key = searchPath ?? "";
  const bwrap = found.get(key) ?? Bun.which("bwrap", { PATH: key });
  if (bwrap) found.set(key, bwrap);
  if (!bwrap) {
    throw new DashError(
      "SANDBOX_UNAVAILABLE",
      `the file sandbox needs bubblewrap (bwrap), which is not installed: ${INSTALL_HINT}`,
    );
  }
  const why = probeBwrap(bwrap);
  if (why) {
    throw new DashError(
      "SANDBOX_UNAVAILABLE",
      `bubblewrap cannot make a sandbox on this machine (${why}): ${INSTALL_HINT.replace(/^install it/, "allow unprivileged user namespaces")}`,
    );
  }
  return bwrap;
}

export interface SandboxedLaunch {
  argv: string[];
  kind: SandboxKind;
}

/**
 * The argv that runs the agent confined on this platform, or a DashError saying what is missing.
 * `searchPath` is where bwrap is looked for (the server's PATH).
 */
export function sandboxed(
  plan: SandboxPlan | null,
  argv: string[],
  searchPath: string | undefined,
  platform: NodeJS.Platform = process.platform,
): SandboxedLaunch {
  if (!plan) return { argv, kind: "off" };
  if (platform === "darwin") return { argv: sandboxExecArgv(plan, argv), kind: "sandbox-exec" };
  if (platform !== "linux") {
    throw new DashError(
      "SANDBOX_UNAVAILABLE",
      `no file sandbox on ${platform}: set config.fileSandbox: false to run agents unconfined`,
    );
  }
  const key = searchPath ?? "";
  const bwrap = findBwrap(searchPath);
  if (!plan.user) return { argv: bwrapArgv(bwrap, plan, argv), kind: "bwrap" };
  const setpriv = Bun.which("setpriv", { PATH: key });
  if (!setpriv) {
    throw new DashError(
      "SANDBOX_UNAVAILABLE",
      `agents of a root server run as "${plan.user.name}", which needs setpriv, not installed: install util-linux (Alpine: apk add setpriv)`,
    );
  }
  return { argv: bwrapArgv(bwrap, plan, argv, setpriv), kind: "bwrap" };
}
