import { realpathSync } from "node:fs";
import { isAbsolute, normalize } from "node:path";
import { DashError } from "../domain/errors.ts";

/**
 * Path checks for what a request may make writable in an agent's sandbox (DESIGN.md §5). A path is
 * compared by its components, never as a string prefix: `/workspace/auth-evil` is not inside
 * `/workspace/auth`. A path is taken only if it is absolute, has no `..`, exists, and its realpath
 * is itself (no symlink anywhere on the way), so what was checked is what gets mounted.
 */

/** System directories an agent may never be given write access to (nor anything above them). */
export const SYSTEM_PATHS = [
  "/etc",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/boot",
  "/proc",
  "/sys",
  "/dev",
  "/var/log",
];

/** The components of an absolute path: `/a//b/` → ["a", "b"]; `/` → []. */
export function components(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

/** Whether `path` is `parent` or lies below it, component by component. */
export function isWithin(path: string, parent: string): boolean {
  const inner = components(path);
  const outer = components(parent);
  if (inner.length < outer.length) return false;
  return outer.every((part, i) => inner[i] === part);
}

/** Whether either path lies within the other (granting one would expose the other). */
export function overlaps(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}

export interface PathRules {
  /** Paths that nothing granted may lie in or contain (DASH_HOME, its database). */
  protected: string[];
  /** Paths nothing granted may lie in or contain (credential dirs): granting a parent would expose
   * them, and one that does not exist yet could be made through the grant. */
  secret?: string[];
  /** Paths a grant may lie in but not be or contain (a home directory, /root, /run): they are
   * hidden from agents, and a grant over them would bring what they hold back into view. */
  containers?: string[];
  /** When set, every granted path must lie within one of these (config sandbox.allowedRoots). */
  roots?: string[];
}

/**
 * The realpath of one granted path, or a VALIDATION_ERROR that names the field and the path. The
 * roots and protected paths are realpath'd by the caller (see `grantedPaths`).
 */
export function checkGrantedPath(raw: string, field: string, rules: PathRules): string {
  const refuse = (why: string): never => {
    throw new DashError("VALIDATION_ERROR", `${field} "${raw}" ${why}`, { field, path: raw });
  };
  if (raw.includes("\0")) refuse("contains a NUL byte");
  if (!isAbsolute(raw)) refuse("must be an absolute path");
  if (raw.split("/").includes("..")) refuse("must not contain '..'");
  const normal = normalize(raw).replace(/(.)\/+$/, "$1");
  let real: string;
  try {
    real = realpathSync(normal);
  } catch {
    return refuse("does not exist");
  }
  if (real !== normal) refuse(`goes through a symlink (it resolves to ${real})`);
  for (const system of SYSTEM_PATHS) {
    if (overlaps(real, system)) refuse(`overlaps the system directory ${system}`);
  }
  for (const kept of rules.protected) {
    if (overlaps(real, kept)) refuse(`overlaps ${kept}, which agents may not reach`);
  }
  for (const hidden of rules.secret ?? []) {
    if (isWithin(real, hidden)) refuse(`lies in ${hidden}, which agents may not see`);
    if (isWithin(hidden, real)) refuse(`contains ${hidden}, which agents may not see`);
  }
  for (const hidden of rules.containers ?? []) {
    if (isWithin(hidden, real))
      refuse(`is or contains ${hidden}, which agents may not see (grant a folder inside it)`);
  }
  if (rules.roots && !rules.roots.some((root) => isWithin(real, root))) {
    refuse(`is outside the allowed roots (${rules.roots.join(", ")})`);
  }
  return real;
}

/** Every granted path checked; the realpaths, in order, without repeats. */
export function checkGrantedPaths(paths: string[] | undefined, field: string, rules: PathRules): string[] {
  const out = (paths ?? []).map((path, i) => checkGrantedPath(path, `${field}[${i}]`, rules));
  return [...new Set(out)];
}

/** Realpath where the path exists, else the normalised path (a rule about a path not made yet). */
export function realOrNormal(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return normalize(path);
  }
}

/**
 * `~/x`, `$VAR/x`, `${VAR}/x` and `${VAR:-~/default}/x` against an environment; null when a
 * variable without a default is unset.
 */
export function expandPath(path: string, env: Record<string, string | undefined>): string | null {
  let unset = false;
  const expanded = path
    .replace(/^\$\{(\w+):-([^}]*)\}/, (_, name: string, fallback: string) => env[name] || fallback)
    .replace(/^~(?=\/|$)/, () => {
      if (!env.HOME) unset = true;
      return env.HOME ?? "";
    })
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => {
      const value = env[(braced ?? bare) as string];
      if (!value) unset = true;
      return value ?? "";
    });
  if (unset || !isAbsolute(expanded)) return null;
  return normalize(expanded);
}
