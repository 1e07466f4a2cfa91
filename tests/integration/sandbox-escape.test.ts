import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { SwarmConfig } from "../../src/domain/swarm.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { sh, testScheduler } from "../agents-helpers.ts";

/**
 * The escape suite (issue 9): real agents, real bwrap, real attempts to get out. Each attempt
 * prints `name=escaped` or `name=denied`; every one must be denied while the allowed write works.
 * Targets outside the sandbox live in /var/tmp, which agents see read-only (their /tmp is private),
 * so a denial there is the sandbox's doing, not a missing directory. The same attempts with
 * `fileSandbox: false` escape, which shows the suite can fail.
 */

const OUT = mkdtempSync("/var/tmp/dash-escape-");
const SECRET = `/root/.dash-escape-${process.pid}`;
const ROOT = process.getuid?.() === 0;
let s: Awaited<ReturnType<typeof testScheduler>>;

beforeAll(async () => {
  s = await testScheduler();
  for (const dir of ["auth", "auth-evil", "target"]) mkdirSync(join(OUT, dir));
  try {
    writeFileSync(SECRET, "root's secret");
  } catch {
    // Not root: /root is not ours to plant in; reading it is then denied by the OS anyway.
  }
});

afterAll(async () => {
  await s.close();
  rmSync(OUT, { recursive: true, force: true });
  rmSync(SECRET, { force: true });
});

/** `try NAME CMD…`: runs the attempt, prints whether it got through. */
const TRY = `try() { n=$1; shift; if "$@" >/dev/null 2>&1; then echo "$n=escaped"; else echo "$n=denied"; fi; }`;

/** Runs one agent with `script` and returns its output lines and the agent. */
async function run(script: string, config: Partial<SwarmConfig>, before?: (workspace: string) => void) {
  const created = await s.t.lifecycle.createSwarm({
    name: `escape-${Math.random().toString(36).slice(2, 8)}`,
    task: "try to get out",
    config: { command: sh(`${TRY}\n${script}`), maxRetries: 0, ...config } as SwarmConfig,
  });
  const agent = created.agents[0];
  if (!agent) throw new Error("no agent");
  const workspace = join(s.t.dir, "workspaces", created.swarm.id, agent.id);
  if (before) {
    mkdirSync(workspace, { recursive: true });
    before(workspace);
  }
  await s.t.lifecycle.moveSwarm(created.swarm.id, { to: "active" });
  const done = await s.waitFor(agent.id);
  const file = runFiles(s.t.dir, agent.id, 0).log;
  const log = existsSync(file) ? readFileSync(file, "utf8") : "";
  return { agent: done, workspace, log, lines: log.split("\n") };
}

const ATTEMPTS = `
try etc touch /etc/dash-escape-$$
try lookalike touch ${OUT}/auth-evil/f
try planted sh -c 'echo x > planted/f'
try own-link sh -c 'ln -s ${OUT}/target mine && echo x > mine/f'
try dotdot-etc sh -c 'echo x > ../../../../../../../../etc/dash-escape'
try dotdot-sibling sh -c 'echo x > ../sibling-escape'
try remount mount -o remount,rw /
try remount-write touch /usr/dash-escape-$$
try read-root cat ${SECRET}
try allowed touch ${OUT}/auth/f
`;

describe("the sandbox holds (bubblewrap, real agents)", () => {
  test("writes outside, look-alikes, symlinks, ../ and remounting are denied; the allowed write works", async () => {
    const planted = (workspace: string) => symlinkSync(join(OUT, "target"), join(workspace, "planted"));
    const { agent, lines, log } = await run(ATTEMPTS, { allowedPaths: [join(OUT, "auth")] }, planted);
    expect(agent.status).toBe("completed");
    expect(agent.sandbox).toBe("bwrap");
    for (const name of [
      "etc",
      "lookalike",
      "planted",
      "own-link",
      "dotdot-etc",
      "dotdot-sibling",
      "remount",
      "remount-write",
      "read-root",
    ]) {
      expect(lines, log).toContain(`${name}=denied`);
    }
    expect(lines).toContain("allowed=escaped");
    expect(existsSync(join(OUT, "auth", "f"))).toBe(true);
    for (const path of ["auth-evil/f", "target/f"]) expect(existsSync(join(OUT, path))).toBe(false);
    expect(existsSync("/etc/dash-escape")).toBe(false);
  });

  test("an agent cannot read another agent's workspace, nor DASH_HOME", async () => {
    const first = await run("echo 'my secret' > secret.txt && echo wrote=1", {});
    expect(first.lines).toContain("wrote=1");
    const secret = join(first.workspace, "secret.txt");
    expect(readFileSync(secret, "utf8")).toBe("my secret\n");
    const second = await run(
      `try other cat ${secret}\ntry home ls ${join(s.t.dir, "runs", first.agent.id)}\ntry db cat ${join(s.t.dir, "dash.db")}`,
      {},
    );
    for (const name of ["other", "home", "db"]) expect(second.lines, second.log).toContain(`${name}=denied`);
  });

  test("with network off, a loopback port the test opened cannot be reached; with it on, it can", async () => {
    let connections = 0;
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open() {
          connections++;
        },
        data() {},
      },
    });
    const connect = `try net bun -e 'await Bun.connect({ hostname: "127.0.0.1", port: ${listener.port}, socket: { data() {} } }).then((c) => c.end())'`;
    try {
      const off = await run(connect, { network: false });
      expect(off.lines, off.log).toContain("net=denied");
      expect(connections).toBe(0);
      const on = await run(connect, {});
      expect(on.lines, on.log).toContain("net=escaped");
      expect(connections).toBe(1);
    } finally {
      listener.stop(true);
    }
  });

  test("blocked commands: argv[0] is refused at start; inside, the program cannot be run", async () => {
    const refused = await run("echo never", { blockedCommands: ["sh"] });
    expect(refused.agent.status).toBe("failed");
    expect((refused.agent.error as { message: string }).message).toContain("blockedCommands");
    expect(refused.log).not.toContain("never");
    const masked = await run("try rm rm -f nothing-here\ntry touch touch ok", { blockedCommands: ["rm"] });
    expect(masked.lines, masked.log).toContain("rm=denied");
    expect(masked.lines).toContain("touch=escaped");
  });

  test("a socket under /run (a bus, docker.sock, an ssh-agent) cannot be reached, even read-only", async () => {
    const path = `/run/dash-escape-${process.pid}.sock`;
    let connections = 0;
    const listener = Bun.listen({ unix: path, socket: { open: () => void connections++, data() {} } });
    const connect = `try sock bun -e 'await Bun.connect({ unix: "${path}", socket: { data() {} } }).then((c) => c.end())'`;
    try {
      const { lines, log } = await run(connect, {});
      expect(lines, log).toContain("sock=denied");
      expect(connections).toBe(0);
    } finally {
      listener.stop(true);
      rmSync(path, { force: true });
    }
  });

  test("kill: the sandboxed agent gets SIGTERM and its grace, not an instant SIGKILL", async () => {
    const created = await s.t.lifecycle.createSwarm({
      name: "graceful",
      task: "t",
      config: {
        command: sh("trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.05; done"),
        maxRetries: 0,
      },
    });
    const agent = created.agents[0];
    if (!agent) throw new Error("no agent");
    await s.t.lifecycle.moveSwarm(created.swarm.id, { to: "active" });
    const log = runFiles(s.t.dir, agent.id, 0).log;
    await s.waitFor(agent.id, ["running"]);
    for (let i = 0; i < 200 && !(existsSync(log) && readFileSync(log, "utf8").includes("ready")); i++)
      await Bun.sleep(20);
    await s.t.lifecycle.moveAgent(agent.id, { to: "killed" });
    for (let i = 0; i < 100 && !readFileSync(log, "utf8").includes("got-term"); i++) await Bun.sleep(20);
    expect(readFileSync(log, "utf8")).toContain("got-term");
  });

  // CI runs as root: this is the case of a Raspberry Pi image, a container or a CI runner.
  test.if(ROOT)(
    "a root server's agent is not root: /etc/shadow, root's files and uid 0 stay out of reach",
    async () => {
      const script = `echo uid=$(id -u)
try shadow cat /etc/shadow
try userns-shadow unshare -r cat /etc/shadow
try chown-root chown 0 .
try setuid-root su -c true root
try allowed sh -c 'echo x > ${OUT}/auth/by-agent'`;
      const { agent, lines, log } = await run(script, { allowedPaths: [join(OUT, "auth")] }, (workspace) =>
        writeFileSync(join(workspace, "seeded.txt"), "from the server"),
      );
      expect(agent.status, log).toBe("completed");
      for (const name of ["shadow", "userns-shadow", "chown-root", "setuid-root"]) {
        expect(lines, log).toContain(`${name}=denied`);
      }
      expect(lines.find((line) => line.startsWith("uid="))).not.toBe("uid=0");
      expect(lines, log).toContain("allowed=escaped");
      const started = await s.t.store.listEvents({ types: ["agent.started"] });
      const mine = started.find((event) => event.data.agentId === agent.id);
      expect(mine?.data.user).toBe("dash-agent");
      expect(mine?.data.warning).toBeUndefined();
    },
  );

  test("control: with fileSandbox: false the same attempts get out (so this suite can fail)", async () => {
    const planted = (workspace: string) => symlinkSync(join(OUT, "target"), join(workspace, "planted"));
    const script = `try lookalike touch ${OUT}/auth-evil/g\ntry planted sh -c 'echo x > planted/g'\ntry shadow cat /etc/shadow`;
    const { agent, lines } = await run(script, { fileSandbox: false }, planted);
    expect(agent.sandbox).toBe("off");
    expect(lines).toContain("lookalike=escaped");
    expect(lines).toContain("planted=escaped");
    if (!ROOT) return;
    // Unconfined, a root server's agent is root: it gets out, and its start event says so.
    expect(lines).toContain("shadow=escaped");
    const started = await s.t.store.listEvents({ types: ["agent.started"] });
    const warning = started.find((event) => event.data.agentId === agent.id)?.data.warning;
    expect(String(warning)).toContain("runs as root with no file sandbox");
  });
});
