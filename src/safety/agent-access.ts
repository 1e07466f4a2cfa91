import { lchownSync, lstatSync, readdirSync, type Stats, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { DashError } from "../domain/errors.ts";
import type { AgentUser } from "./agent-user.ts";
import { isWithin } from "./paths.ts";
import type { SandboxPlan } from "./sandbox-plan.ts";

/**
 * What an agent that runs as the unprivileged `sandbox.user` needs of the host's files: the paths
 * its plan binds writable are writable for that uid, the paths bound read-only are readable, and
 * the real directories above them can be passed through. What Dash made for the agent alone (its
 * workspace) becomes the agent's; what is the operator's or shared (a granted path, a repository's
 * objects, a CLI's config folder) keeps its owner and gets an ACL entry for the uid, so the
 * operator's own tools (git's ownership check) see nothing changed. Directories bwrap mounts empty
 * (/tmp, the hidden ones) are not touched: inside the sandbox they are new (see bwrapArgv).
 */
export function openPlanTo(user: AgentUser, plan: SandboxPlan, owned: string[]): void {
  const mounted = ["/tmp", ...plan.hidden];
  const writable = [plan.workspace, ...plan.writable];
  for (const path of writable) {
    if (owned.includes(path)) chownTree(path, user);
    else shareTree(path, user);
  }
  for (const path of plan.readable ?? []) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory() && !may(stat, user, 0o5)) setfacl(["-m", `u:${user.uid}:rx`, path]);
  }
  for (const path of [...writable, ...(plan.readable ?? [])]) passThrough(path, user, mounted);
}

/** The real directories above `path` (below the empty mounts) get search permission for the uid. */
function passThrough(path: string, user: AgentUser, mounted: string[]): void {
  for (let dir = dirname(path); dir !== "/" && dir !== "."; dir = dirname(dir)) {
    if (mounted.some((mount) => isWithin(dir, mount))) return;
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (stat && !may(stat, user, 0o1)) setfacl(["-m", `u:${user.uid}:x`, dir]);
  }
}

/** Whether `user` has all of `bits` (r=4, w=2, x=1) on the file by its mode alone. */
function may(stat: Stats, user: AgentUser, bits: number): boolean {
  const shift = stat.uid === user.uid ? 6 : stat.gid === user.gid ? 3 : 0;
  return ((stat.mode >> shift) & bits) === bits;
}

/** Dash's own directory, given to the uid; symlinks are changed themselves, never followed. */
function chownTree(path: string, user: AgentUser): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.uid !== user.uid || stat.gid !== user.gid) lchownSync(path, user.uid, user.gid);
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), user);
}

/** Trees given an ACL this process: a repository's objects are walked once, not at every attempt. */
const shared = new Set<string>();

/** rwX for the uid on the tree, and the same by default on what is created in it later. */
function shareTree(path: string, user: AgentUser): void {
  const key = `${user.uid}:${path}`;
  if (shared.has(key)) return;
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return;
  const entry = `u:${user.uid}:rwX`;
  setfacl(stat.isDirectory() ? ["-R", "-P", "-m", `${entry},d:${entry}`, path] : ["-m", entry, path]);
  shared.add(key);
}

function setfacl(args: string[]): void {
  const setfaclPath = Bun.which("setfacl", { PATH: process.env.PATH ?? "" });
  const target = args.at(-1);
  if (!setfaclPath) {
    throw new DashError(
      "SANDBOX_UNAVAILABLE",
      `agents run as an unprivileged user, and ${target} must be made usable for it with setfacl, which is not installed: install it (Debian/Ubuntu: apt-get install acl; Fedora: dnf install acl; Alpine: apk add acl)`,
    );
  }
  const run = Bun.spawnSync([setfaclPath, ...args], { stdout: "ignore", stderr: "pipe" });
  if (run.exitCode !== 0) {
    throw new DashError(
      "SANDBOX_UNAVAILABLE",
      `cannot give the agents' user access to ${target}: ${run.stderr.toString().trim() || `setfacl exited with ${run.exitCode}`}`,
    );
  }
}
