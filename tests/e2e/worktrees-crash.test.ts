/**
 * Issue 12 with the compiled binary: agents of a repo swarm mid-run, `kill -9` of `dash serve`,
 * restart. Their worktrees and branches are intact, the same processes are re-attached (each ran
 * once), their work merges with `dash swarm merge`, and destroy leaves `git worktree list` with
 * the user's checkout alone, which nothing modified.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../../src/core/worktrees.ts";
import { type AgentResponse, AgentResponseSchema } from "../../src/domain/agent.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { checkoutState, tempRepo } from "../git-helpers.ts";
import { tempHome, until } from "../helpers.ts";
import { compiledDash, runDash, startServe } from "./compiled.ts";

const home = tempHome("dash-worktrees-crash-");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(() => home.cleanup());

const { repo, base } = tempRepo({ "README.md": "hello\n" }, { "README.md": "hello\nmine\n" });
const before = checkoutState(repo);
// Notes each run in its worktree, works a few seconds, then commits its own file.
const SCRIPT =
  'echo run >> "ran-$DASH_AGENT_ID.txt"; sleep 4; echo "$DASH_AGENT_ID" > "f-$DASH_AGENT_ID.txt"; git add -A; git commit -qm "$DASH_AGENT_ID"';

/** The agents' process ids as the database has them, in id order. */
function pidsOf(swarmId: string): (number | null)[] {
  const db = new Database(join(home.dir, "dash.db"), { readonly: true });
  const rows = db.query("SELECT pid FROM agents WHERE swarm_id = ? ORDER BY id").all(swarmId) as {
    pid: number | null;
  }[];
  db.close();
  return rows.map((r) => r.pid);
}

test("kill -9 of dash serve mid-run: worktrees and branches intact, agents re-attached, merge and destroy clean", async () => {
  const first = await startServe(bin, home.dir);
  const { key } = JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string };
  const call = async (url: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, url), {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return [res.status, await res.json()] as [number, Record<string, unknown>];
  };
  const agentsOf = async (url: string, swarmId: string): Promise<AgentResponse[]> => {
    await Bun.sleep(200); // polled: stay well under the server's rate limit
    const [code, body] = await call(url, "GET", `/api/agents?swarmId=${swarmId}`);
    if (code !== 200) throw new Error(`GET /api/agents answered ${code}: ${JSON.stringify(body)}`);
    return (body.agents as unknown[]).map((a) => AgentResponseSchema.parse(a));
  };
  const [status, created] = await call(first.url, "POST", "/api/swarm", {
    name: "crashy",
    task: "work, then commit",
    initialAgents: 3,
    config: { repo, command: ["sh", "-c", SCRIPT], maxRetries: 0 },
  });
  expect(status).toBe(201);
  const swarm = SwarmResponseSchema.parse(created);
  const dirOf = (a: AgentResponse) => join(home.dir, "worktrees", swarm.id, a.id);

  let agents = await agentsOf(first.url, swarm.id);
  await until(async () => {
    agents = await agentsOf(first.url, swarm.id);
    return agents.every((a) => a.status === "running" && existsSync(join(dirOf(a), `ran-${a.id}.txt`)));
  }, 15_000);
  const pids = pidsOf(swarm.id);
  expect(pids.every((pid) => pid !== null && groupAlive(pid))).toBe(true);
  first.proc.kill("SIGKILL");
  await first.proc.exited;

  // With no server: every worktree and branch is there, each on its own branch.
  const listed = git(["worktree", "list", "--porcelain"], repo).split("\n");
  for (const agent of agents) {
    expect(listed).toContain(`worktree ${dirOf(agent)}`);
    expect(listed).toContain(`branch refs/heads/dash/crashy/${agent.name}`);
  }

  const second = await startServe(bin, home.dir);
  // Recovered: the same live processes, still running in their worktrees.
  expect(pidsOf(swarm.id)).toEqual(pids);
  await until(
    async () => (await agentsOf(second.url, swarm.id)).every((a) => a.status === "completed"),
    30_000,
  );
  agents = await agentsOf(second.url, swarm.id);
  // Re-attached, not started again: no retry, one run each, one commit each.
  expect(agents.map((a) => a.retryCount)).toEqual([0, 0, 0]);
  for (const agent of agents) {
    const branch = `dash/crashy/${agent.name}`;
    expect(git(["show", `${branch}:ran-${agent.id}.txt`], repo)).toBe("run");
    expect(git(["log", "--format=%s", `${base}..${branch}`], repo)).toBe(agent.id);
    expect(git(["diff", "--name-only", base, branch], repo).split("\n")).toEqual([
      `f-${agent.id}.txt`,
      `ran-${agent.id}.txt`,
    ]);
  }

  const merged = runDash(bin, home.dir, ["swarm", "merge", swarm.id, "--url", second.url, "--key", key]);
  expect([merged.code, merged.err]).toEqual([0, ""]);
  expect(merged.out).toContain("Merged 3 branch(es) into dash/crashy/merged");
  const destroyed = runDash(bin, home.dir, ["swarm", "destroy", swarm.id, "--url", second.url, "--key", key]);
  expect(destroyed.code).toBe(0);
  await until(
    () => git(["worktree", "list", "--porcelain"], repo).match(/^worktree /gm)?.length === 1,
    10_000,
  );
  expect(git(["worktree", "list"], repo)).toStartWith(`${repo} `);
  expect(git(["branch", "--list", "dash/crashy/*"], repo)).toBe("dash/crashy/merged");
  expect(checkoutState(repo)).toEqual(before);
  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
}, 90_000);
