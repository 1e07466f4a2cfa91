import { DashError } from "../domain/errors.ts";

/**
 * Who agents run as when `dash serve` runs as root (a Raspberry Pi image, a container, a CI
 * runner). uid 0 without capabilities still owns root's files (/etc/shadow, /root), so an agent
 * never keeps it: config `sandbox.user` names an unprivileged user (a name, or `uid[:gid]`), by
 * default `dash-agent`, created on first need; where no user can be created, `nobody`.
 */
export interface AgentUser {
  name: string;
  uid: number;
  gid: number;
}

export const DEFAULT_AGENT_USER = "dash-agent";

/** Resolved once per name and process: creating a user is not done twice. */
const resolved = new Map<string, AgentUser>();

/** The user agents run as, or null when the server is not root (they run as the server's user). */
export function agentUser(
  configured: string | undefined,
  serverUid = process.getuid?.() ?? -1,
): AgentUser | null {
  if (serverUid !== 0 || process.platform !== "linux") return null;
  const name = configured ?? DEFAULT_AGENT_USER;
  const known = resolved.get(name);
  if (known) return known;
  const user = resolveUser(name);
  if (user.uid === 0) {
    throw new DashError(
      "SANDBOX_UNAVAILABLE",
      `sandbox.user "${name}" is uid 0: agents never run as root; name an unprivileged user`,
    );
  }
  resolved.set(name, user);
  return user;
}

function resolveUser(name: string): AgentUser {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(name);
  if (numeric) {
    const uid = Number(numeric[1]);
    return { name, uid, gid: numeric[2] === undefined ? uid : Number(numeric[2]) };
  }
  const found = lookupUser(name);
  if (found) return found;
  if (name !== DEFAULT_AGENT_USER) {
    throw new DashError(
      "SANDBOX_UNAVAILABLE",
      `sandbox.user "${name}" does not exist on this machine: create it (useradd --system ${name}) or name another`,
    );
  }
  createSystemUser(name);
  // Created here or by another server at the same moment; nobody when neither could.
  const made = lookupUser(name) ?? lookupUser("nobody");
  if (made) return made;
  throw new DashError(
    "SANDBOX_UNAVAILABLE",
    `no unprivileged user for agents: "${name}" could not be created and "nobody" does not exist; set sandbox.user`,
  );
}

/** System tools are found on the server's PATH and the system's own folders (a bare PATH lacks them). */
const tool = (name: string) =>
  Bun.which(name, { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/usr/bin:/sbin:/bin` });

/** The user's uid and primary gid (`id` is on every system, NSS and LDAP users included). */
export function lookupUser(name: string): AgentUser | null {
  const idPath = tool("id");
  if (!idPath) return null;
  const id = (flag: string) => {
    const run = Bun.spawnSync([idPath, flag, name], { stdout: "pipe", stderr: "ignore" });
    const out = run.stdout.toString().trim();
    return run.exitCode === 0 && /^\d+$/.test(out) ? Number(out) : null;
  };
  const uid = id("-u");
  const gid = id("-g");
  return uid === null || gid === null ? null : { name, uid, gid };
}

/** A system user with its own group, no home and no login: useradd (Debian…), else BusyBox adduser. */
export function createSystemUser(name: string): boolean {
  const attempts = [
    [
      "useradd",
      "--system",
      "--user-group",
      "--no-create-home",
      "--home-dir",
      "/nonexistent",
      "--shell",
      "/usr/sbin/nologin",
      name,
    ],
    ["adduser", "-S", "-D", "-H", "-h", "/nonexistent", "-s", "/sbin/nologin", name],
  ];
  for (const [program, ...args] of attempts) {
    const path = tool(program as string);
    if (!path) continue;
    const run = Bun.spawnSync([path, ...args], { stdout: "ignore", stderr: "ignore" });
    if (run.exitCode === 0) return true;
  }
  return false;
}
