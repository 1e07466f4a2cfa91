import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentRecord } from "../../src/domain/agent.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { testScheduler } from "../agents-helpers.ts";
import { testLifecycle } from "../helpers.ts";

/**
 * Issue 24's escapes through grants and hiding, with real agents under the real bwrap: granting a
 * home (a fresh one, with no ~/.ssh yet, where the agent would plant authorized_keys) or a parent
 * of DASH_HOME is refused when the agent starts; a hidden DASH_HOME shows none of its files.
 */
const T = mkdtempSync("/var/tmp/dash-grants-");
const HOME = join(T, "home"); // a user's home with secrets in it, and no ~/.ssh yet
let s: Awaited<ReturnType<typeof testScheduler>>;

beforeAll(async () => {
  mkdirSync(HOME);
  writeFileSync(join(HOME, ".npmrc"), "//registry/:_authToken=secret");
  const t = testLifecycle();
  s = await testScheduler({
    t,
    presets: { prober: { kind: "command", command: ["sh", "-c", "{task}"], env: { HOME } } },
    // What `dash serve` hides (src/api/app.ts): DASH_HOME and its database files.
    sandbox: { protect: [t.dir, t.dbPath, `${t.dbPath}-wal`, `${t.dbPath}-shm`], hide: [] },
  });
});

afterAll(async () => {
  await s.close();
  rmSync(T, { recursive: true, force: true });
});

async function run(script: string, allowedPaths?: string[]) {
  const created = await s.t.lifecycle.createSwarm({
    name: `grants-${Math.random().toString(36).slice(2, 8)}`,
    task: script,
    config: { runtime: "prober", maxRetries: 0, ...(allowedPaths ? { allowedPaths } : {}) },
  });
  await s.t.lifecycle.moveSwarm(created.swarm.id, { to: "active" });
  const agent = await s.waitFor((created.agents[0] as AgentRecord).id);
  const file = runFiles(s.t.dir, agent.id, 0).log;
  return { agent, log: existsSync(file) ? readFileSync(file, "utf8") : "" };
}

const messageOf = (agent: AgentRecord) => (agent.error as { message?: string } | null)?.message ?? "";

describe("grants are checked against what they would expose", () => {
  test("a home is never granted, even one with no ~/.ssh yet: no authorized_keys can be planted", async () => {
    const { agent } = await run(
      `mkdir -p "$HOME/.ssh" && echo key > "$HOME/.ssh/authorized_keys"; cat "$HOME/.npmrc"`,
      [HOME],
    );
    expect(agent.status).toBe("failed");
    expect(messageOf(agent)).toContain("which agents may not see");
    expect(existsSync(join(HOME, ".ssh"))).toBe(false);
  });

  test("without the grant, the agent cannot make ~/.ssh in a home it can see", async () => {
    const { agent, log } = await run(`mkdir "$HOME/.ssh" 2>/dev/null && echo made || echo refused`);
    expect(agent.status).toBe("completed");
    expect(log).toContain("refused");
    expect(existsSync(join(HOME, ".ssh"))).toBe(false);
  });

  test("a parent of DASH_HOME is never granted", async () => {
    const { agent } = await run("ls", [join(s.t.dir, "..")]);
    expect(agent.status).toBe("failed");
    expect(messageOf(agent)).toMatch(/overlaps .*which agents may not reach/);
  });

  test("the hidden DASH_HOME shows none of its files: only the way to the agent's own workspace", async () => {
    writeFileSync(join(s.t.dir, "credentials"), "{}");
    // Below the top, an agent of a root server (an unprivileged user) may not even list the way.
    const { agent, log } = await run(
      `ls -A "${s.t.dir}"; echo ---; ls -A "${s.t.dir}/workspaces" 2>/dev/null; true`,
    );
    expect(agent.status).toBe("completed");
    const [top = "", below = ""] = log.split("---");
    expect(top.trim().split("\n")).toEqual(["workspaces"]);
    expect(process.getuid?.() === 0 ? below.trim() : below.trim().split("\n")).toEqual(
      process.getuid?.() === 0 ? "" : [agent.swarmId],
    );
    expect(log).not.toMatch(/dash\.db|credentials|runs/);
  });
});
