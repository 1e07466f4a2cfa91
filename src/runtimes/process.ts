import { existsSync, readdirSync, readFileSync } from "node:fs";
import { writeJsonAtomic } from "./run-files.ts";
import { selfArgv } from "./self.ts";

/**
 * Process-group operations for agent shims. Each shim is a session and process-group leader
 * (`setsid`), so signalling `-pid` reaches the shim and what the agent started in its session; an
 * agent under bwrap `--new-session` leads a session of its own, reached through the process tree.
 */

/**
 * Only a real process group may be signalled: `-0` is the caller's own group, and group 0 (PID 1
 * and the kernel's threads in some VMs) is the ancestor of everything on the machine.
 */
const isShimGroup = (pid: number) => Number.isInteger(pid) && pid > 1;

/** Linux and others with /proc; checked once, not on every poll. */
const HAS_PROC = existsSync("/proc/self/stat");

/** Kernel start time of a process (clock ticks since boot on Linux), or null if it is gone. */
export function processStartTime(pid: number): string | null {
  return HAS_PROC ? startTimeFromProc(pid) : startTimeFromPs(pid);
}

function startTimeFromProc(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (comm) may hold spaces and parentheses: count fields after its closing ")".
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Where there is no /proc (macOS): the start time as `ps` prints it, to the second. */
export function startTimeFromPs(pid: number): string | null {
  const ps = Bun.spawnSync(["ps", "-o", "lstart=", "-p", String(pid)]);
  const out = ps.stdout.toString().trim();
  return ps.exitCode === 0 && out ? out : null;
}

/** One-letter state from /proc (R, S, T for stopped, Z…), or null where /proc is missing. */
export function processState(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[0] ?? null;
  } catch {
    return null;
  }
}

/** The same process as when it was recorded: alive, and not a reused pid (start time matches). */
export function isSameProcess(pid: number, startTime: string): boolean {
  const state = processState(pid);
  if (state === "Z") return false;
  return processStartTime(pid) === startTime;
}

/**
 * Signals the whole group, and the groups of any descendants that made their own session (an agent
 * under bwrap `--new-session` is one): false when the shim's group no longer exists.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (!isShimGroup(pid)) return false;
  try {
    process.kill(-pid, signal);
  } catch {
    return false;
  }
  for (const group of descendantGroups(pid)) signalOne(group, signal);
  return true;
}

/** Process groups other than `pgid` that descendants of the group's processes lead. */
function descendantGroups(pgid: number): number[] {
  if (!HAS_PROC || !isShimGroup(pgid)) return [];
  const procs: Array<{ pid: number; ppid: number; group: number }> = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ").pop()?.split(" ") ?? [];
      procs.push({ pid: Number(entry), ppid: Number(fields[1]), group: Number(fields[2]) });
    } catch {
      // Gone while we looked.
    }
  }
  const inTree = new Set(procs.filter((p) => p.group === pgid).map((p) => p.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  const groups = procs.filter((p) => inTree.has(p.pid) && p.group !== pgid).map((p) => p.group);
  return [...new Set(groups)];
}

/**
 * Whether any process of the group is still running. Zombies do not count: where PID 1 does not
 * reap orphans (some containers), a dead agent's process can stay a zombie for good.
 */
export function groupAlive(pgid: number): boolean {
  if (!isShimGroup(pgid)) return false;
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!HAS_PROC) return true;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , group] = text.slice(text.lastIndexOf(")") + 2).split(" ");
      if (Number(group) === pgid && state !== "Z") return true;
    } catch {
      // Gone while we looked.
    }
  }
  return false;
}

/**
 * SIGTERM to the group, then SIGKILL after `graceMs` if anything of it is left. A stopped group
 * gets SIGCONT too, or it could not act on the SIGTERM.
 */
export async function killGroup(pid: number, graceMs: number): Promise<void> {
  if (!isShimGroup(pid)) return;
  // Under bwrap the agent leads its own session: it gets the SIGTERM, not the outer bwrap, whose
  // death would SIGKILL the sandbox at once (--die-with-parent) and take the agent's grace away.
  const sessions = descendantGroups(pid);
  const targets = sessions.length > 0 ? sessions : [pid];
  for (const group of targets) {
    signalOne(group, "SIGTERM");
    signalOne(group, "SIGCONT");
  }
  if (!groupAlive(pid)) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await Bun.sleep(25);
  }
  signalGroup(pid, "SIGKILL");
}

function signalOne(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // Ended meanwhile.
  }
}

/**
 * Starts the shim for one attempt: detached (its own session and group, so it outlives the
 * server), with no stdio tied to the server. Its identity is written here, the moment it exists,
 * as well as by the shim once it runs: a server killed before the shim got that far (it starts a
 * runtime first) would otherwise leave a restarted one seeing a `spawning` agent with no shim,
 * and launching it a second time beside the first.
 */
export function startShim(
  specPath: string,
  shimFile: string,
): { child: Bun.Subprocess; pid: number; startTime: string } {
  const child = Bun.spawn([...selfArgv(), "__shim", specPath], {
    detached: true,
    stdio: ["ignore", "ignore", "ignore"],
  });
  child.unref();
  const identity = { pid: child.pid, startTime: processStartTime(child.pid) ?? "" };
  writeJsonAtomic(shimFile, identity);
  return { child, ...identity };
}
