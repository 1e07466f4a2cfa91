import { existsSync, mkdirSync } from "node:fs";
import { selfRoot } from "../runtimes/self.ts";
import type { AgentUser } from "./agent-user.ts";
import { blockedExecutables } from "./commands.ts";
import { checkGrantedPaths, expandPath, isWithin, overlaps, realOrNormal } from "./paths.ts";

/**
 * What an agent's sandbox allows, decided once per attempt and then turned into the argv of the
 * platform's sandbox (bubblewrap on Linux, sandbox-exec on macOS). Every path is absolute and
 * already realpath'd and validated (see safety/paths.ts): the generators trust it.
 */
export interface SandboxPlan {
  /** The agent's own directory: writable, and its working directory. */
  workspace: string;
  /** More writable directories or files: the swarm's allowedPaths and what the runtime needs. */
  writable: string[];
  /** Existing paths the agent must not see at all (DASH_HOME, /root, /var/log, credentials). */
  hidden: string[];
  /** Executables (real paths) the agent may not run: the swarm's blockedCommands, resolved. */
  blockedExecutables: string[];
  /** Whether the agent may use the network (off: loopback of its own only). */
  network: boolean;
  /** Read-only again inside the private /tmp or a hidden path: dash's own files (run from /tmp in CI). */
  readable?: string[];
  /** The unprivileged user the agent runs as (a root server's); absent: the server's own user. */
  user?: AgentUser;
}

/** The server's side of every plan: what no agent may see or be granted (config `sandbox:`). */
export interface SandboxSettings {
  /** DASH_HOME, the database and its journal files: hidden, and never grantable. */
  protect: string[];
  /** When set, allowedPaths must lie within these. */
  allowedRoots?: string[];
  /** More paths to hide from every agent. */
  hide: string[];
  /** Who agents of a root server run as (config `sandbox.user`; default dash-agent). */
  user?: string;
}

export interface SandboxRequest {
  workspace: string;
  /** The swarm's allowedPaths (checked again here: they may have changed since the request). */
  allowedPaths?: string[];
  /** What the runtime preset needs writable, unexpanded. */
  runtimeWritable: string[];
  blockedCommands?: string[];
  network: boolean;
  /** The agent's environment (HOME and the variables of runtimeWritable) and PATH. */
  env: Record<string, string | undefined>;
}

/** A request's allowedPaths checked against the server's rules: their realpaths, or a VALIDATION_ERROR. */
export function grantedPaths(
  paths: string[] | undefined,
  settings: SandboxSettings,
  home: string | undefined = process.env.HOME,
): string[] | undefined {
  if (!paths) return undefined;
  // A path inside a hidden one may be granted (a repository under /root), but never a secret
  // directory (~/.ssh, the config's `hide`), anything in it or above it, nor a hidden folder
  // itself or a parent of one (the home, /root): checked whether or not they exist yet.
  const secret = [...userSecrets(home), ...settings.hide];
  const rules = {
    protected: settings.protect.map(realOrNormal),
    secret: secret.map(realOrNormal),
    containers: hiddenContainers(home).map(realOrNormal),
    roots: settings.allowedRoots?.map(realOrNormal),
  };
  return checkGrantedPaths(paths, "config.allowedPaths", rules);
}

/** Decides what one attempt may touch; throws a VALIDATION_ERROR for a granted path gone bad. */
export function planSandbox(settings: SandboxSettings, request: SandboxRequest): SandboxPlan {
  const protect = settings.protect.map(realOrNormal);
  const granted = grantedPaths(request.allowedPaths, settings, request.env.HOME) ?? [];
  // The preset's paths are the operator's config: taken as they are, but never over DASH_HOME.
  const expanded = request.runtimeWritable.map((path) => {
    const real = expandPath(path, request.env);
    // A directory the CLI will make on first use ("…/" in the preset) is made now, so it can be bound.
    if (real && path.endsWith("/") && !protect.some((kept) => overlaps(real, kept))) {
      mkdirSync(real, { recursive: true });
    }
    return real;
  });
  // Nor over a credential folder, existing or not (a preset writing all of ~ would expose ~/.ssh).
  const secrets = [...userSecrets(request.env.HOME), ...settings.hide].map(realOrNormal);
  const forRuntime = existing(expanded.filter((path): path is string => path !== null)).filter(
    (path) => !protect.some((kept) => overlaps(path, kept)) && !secrets.some((s) => overlaps(path, s)),
  );
  return {
    workspace: realOrNormal(request.workspace),
    writable: [...new Set([...granted, ...forRuntime])],
    hidden: outermost(existing([...defaultHidden(request.env.HOME), ...protect, ...settings.hide])),
    blockedExecutables: blockedExecutables(request.blockedCommands, request.env.PATH),
    network: request.network,
    readable: existing([selfRoot()]),
  };
}

/** Paths no agent sees, beyond DASH_HOME and what the config adds (only those that exist are hidden). */
export function defaultHidden(home: string | undefined): string[] {
  // /run holds sockets (the D-Bus session bus, docker.sock, ssh-agent) that a read-only mount
  // does not stop an agent from connecting to.
  return ["/root", "/var/log", "/run", "/var/run", ...userSecrets(home)];
}

/** Hidden folders a grant may lie in but never be or contain: the user's home, /root, /run. */
function hiddenContainers(home: string | undefined): string[] {
  return ["/root", "/run", "/var/run", ...(home ? [home] : [])];
}

/**
 * Hidden paths as mounted: one inside another hidden directory is left out, since the outer
 * empty mount already hides it and mounting it again would make its name show in the listing.
 */
export function outermost(paths: string[]): string[] {
  return paths.filter((path) => !paths.some((other) => other !== path && isWithin(path, other)));
}

/** The user's credential directories. */
function userSecrets(home: string | undefined): string[] {
  return home ? [".ssh", ".gnupg", ".aws", ".docker", ".kube"].map((dir) => `${home}/${dir}`) : [];
}

/** The existing ones of `paths`, realpath'd, without repeats. */
export function existing(paths: string[]): string[] {
  return [...new Set(paths.filter((path) => existsSync(path)).map(realOrNormal))];
}
