/**
 * Git worktrees (issue 12, first step) with real git and real command agents under the sandbox:
 * each agent of a swarm with `config.repo` works in its own worktree on its own branch, and the
 * user's own checkout (working tree, index, HEAD) is never touched.
 */
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { branchFor, git } from "../../src/core/worktrees.ts";
import type { SwarmResponse } from "../../src/domain/swarm.ts";
import { serverWithAgents } from "../agents-helpers.ts";
import { tempRepo } from "../git-helpers.ts";
import { ROOT, until } from "../helpers.ts";

const { api, s } = await serverWithAgents();
// The user's own work in progress: it must still be there, unstaged, at the end.
const { repo, base } = tempRepo({ "README.md": "hello\n" }, { "README.md": "hello\nmy own edit\n" });

// Each agent writes its own file and commits it on its branch.
const AGENT = [
  "sh",
  "-c",
  'echo "work of $DASH_AGENT_ID" > "agent-$DASH_AGENT_ID.txt" && git add -A && git commit -qm "agent $DASH_AGENT_ID"',
];

test("3 agents in parallel: each in its own worktree, each branch holds only its own change", async () => {
  const [status, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
    name: "feat",
    task: "edit",
    initialAgents: 3,
    config: { repo, command: AGENT, maxRetries: 0 },
  });
  expect(status).toBe(201);
  const agents = await s.t.store.listAgents({ swarmId: swarm.id });
  for (const agent of agents) {
    const done = await s.waitFor(agent.id);
    // Under the sandbox: the worktree and the repository's .git writable, nothing else of it.
    expect([done.status, done.sandbox]).toEqual(["completed", "bwrap"]);
    // What it changed, in its result.
    const { git: changes } = done.result as { git: Record<string, unknown> };
    expect(changes).toMatchObject({
      branch: `dash/feat/${agent.name}`,
      base,
      files: [{ path: `agent-${agent.id}.txt`, insertions: 1, deletions: 0 }],
      insertions: 1,
      deletions: 0,
    });
    expect((changes.commits as { subject: string }[]).map((c) => c.subject)).toEqual([`agent ${agent.id}`]);
  }
  for (const agent of agents) {
    const branch = `dash/feat/${agent.name}`;
    expect(git(["rev-list", "--count", `${base}..${branch}`], repo)).toBe("1");
    expect(git(["diff", "--name-only", base, branch], repo)).toBe(`agent-${agent.id}.txt`);
  }
  // The user's checkout: same HEAD, same branch, the edit still unstaged, nothing new in it.
  expect(git(["rev-parse", "HEAD"], repo)).toBe(base);
  expect(git(["status", "--porcelain"], repo)).toBe("M README.md");
  expect(readFileSync(join(repo, "README.md"), "utf8")).toBe("hello\nmy own edit\n");

  // What it changed, as a diff: through the API and `dash agent diff`.
  const first = agents[0] as (typeof agents)[number];
  const [code, diff] = await api.json<{ branch: string; diff: string }>(
    "GET",
    `/api/agents/${first.id}/diff`,
    api.keys.read,
  );
  expect([code, diff.branch]).toEqual([200, `dash/feat/${first.name}`]);
  expect(diff.diff).toContain(`+work of ${first.id}`);
  // Async: the server answering it lives in this process.
  const cli = Bun.spawn(
    [
      process.execPath,
      join(ROOT, "src", "main.ts"),
      "agent",
      "diff",
      first.id,
      "--url",
      api.server.url.origin,
      "--key",
      api.keys.read,
    ],
    { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe" },
  );
  const printed = await new Response(cli.stdout).text();
  expect(await cli.exited).toBe(0);
  expect(printed).toContain(`+++ b/agent-${first.id}.txt`);

  // Destroy: the worktrees go, the branches stay.
  expect((await api.json("DELETE", `/api/swarm/${swarm.id}`, api.keys.admin))[0]).toBe(200);
  const worktrees = () => git(["worktree", "list", "--porcelain"], repo).match(/^worktree /gm)?.length;
  await until(() => worktrees() === 1 && !existsSync(join(s.t.dir, "worktrees", swarm.id)), 10_000);
  expect(git(["branch", "--list", "dash/feat/*"], repo).split("\n")).toHaveLength(3);
}, 30_000);

test("a pipeline of 2 stages: stage 2 starts from stage 1's branch and sees its change", async () => {
  const stage = 'ls > "seen-$0.txt" && echo "$0" > "stage-$0.txt" && git add -A && git commit -qm "$0"';
  const [status, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
    name: "pipe",
    task: "t",
    strategy: "pipeline",
    stages: [{ task: "one" }, { task: "two" }],
    // {input} in the argv keeps the task alone in $0 (the previous stage's result is the input).
    config: { repo, command: ["sh", "-c", stage, "{task}", "{input}"], maxRetries: 0 },
  });
  expect(status).toBe(201);
  await until(async () => (await s.t.store.getSwarm(swarm.id))?.status === "completed", 20_000);
  const [first, second] = (await s.t.store.listAgents({ swarmId: swarm.id })).sort(
    (a, b) => a.position - b.position,
  );
  if (!first || !second) throw new Error("the pipeline has not 2 stages");
  const branch = `dash/pipe/${second.name}`;
  expect(git(["show", `${branch}:seen-two.txt`], repo)).toContain("stage-one.txt");
  type Changes = { base: string; head: string; commits: unknown[]; files: { path: string }[] };
  const changes = (second.result as { git: Changes }).git;
  expect(changes.base).toBe((first.result as { git: Changes }).git.head);
  expect(changes.commits).toHaveLength(1);
  expect(changes.files.map((f) => f.path)).toEqual(["seen-two.txt", "stage-two.txt"]);
});

test("a reducer is told every mapper's branch (DASH_BRANCHES)", async () => {
  const said = 'echo "{\\"dash\\":\\"result\\",\\"result\\":\\"$DASH_BRANCHES\\"}"';
  const [, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
    name: "mr",
    task: "t",
    strategy: "map-reduce",
    inputs: ["a", "b"],
    config: { repo, command: ["sh", "-c", said], maxRetries: 0 },
  });
  await until(async () => (await s.t.store.getSwarm(swarm.id))?.status === "completed", 20_000);
  const agents = await s.t.store.listAgents({ swarmId: swarm.id });
  const reducer = agents.find((a) => a.role === "reducer");
  const mappers = agents.filter((a) => a.role === "mapper").map((a) => `dash/mr/${a.name}`);
  const told = (reducer?.result as { output?: string } | undefined)?.output ?? "";
  expect(told.split(" ").sort()).toEqual(mappers.sort());
});

test("a crash of Dash mid-run: the agent goes on in its worktree, is re-attached, and destroy leaves git clean", async () => {
  const slow = 'sleep 1.5 && echo late > late.txt && git add -A && git commit -qm "late"';
  const [, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
    name: "crash",
    task: "t",
    initialAgents: 1,
    config: { repo, command: ["sh", "-c", slow], maxRetries: 0 },
  });
  const [agent] = await s.t.store.listAgents({ swarmId: swarm.id });
  await s.waitFor(agent?.id ?? "", ["running"]);
  await s.stopFollowing(); // what a kill -9 leaves: the agent runs on, nobody follows it
  await Bun.sleep(300);
  await s.startAgain();
  const done = await s.waitFor(agent?.id ?? "");
  expect([done.status, done.retryCount]).toEqual(["completed", 0]);
  expect(
    (done.result as { git: { commits: { subject: string }[] } }).git.commits.map((c) => c.subject),
  ).toEqual(["late"]);
  await api.json("DELETE", `/api/swarm/${swarm.id}`, api.keys.admin);
  await until(
    () =>
      !git(["worktree", "list", "--porcelain"], repo).includes(swarm.id) &&
      !existsSync(join(s.t.dir, "worktrees", swarm.id)),
    10_000,
  );
  expect(git(["branch", "--list", `dash/crash/${agent?.name}`], repo)).toContain("dash/crash/");
  // With its worktree gone, the diff comes from the commits its result recorded.
  const [, diff] = await api.json<{ diff: string }>("GET", `/api/agents/${agent?.id}/diff`, api.keys.read);
  expect(diff.diff).toContain("+late");
});

test("what an agent leaves uncommitted is committed by Dash, saying so, and counted", async () => {
  const [, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
    name: "sloppy",
    task: "t",
    initialAgents: 1,
    config: {
      repo,
      command: ["sh", "-c", "printf 'a\\nb\\n' > notes.txt && echo changed > README.md"],
      maxRetries: 0,
    },
  });
  const [agent] = await s.t.store.listAgents({ swarmId: swarm.id });
  const done = await s.waitFor(agent?.id ?? "");
  const { git: changes } = done.result as {
    git: { commits: { subject: string }[]; files: unknown[]; insertions: number; deletions: number };
  };
  expect(changes.commits.map((c) => c.subject)).toEqual([`dash: what ${agent?.name} left uncommitted`]);
  expect(changes.files).toEqual([
    { path: "README.md", insertions: 1, deletions: 1 },
    { path: "notes.txt", insertions: 2, deletions: 0 },
  ]);
  expect([changes.insertions, changes.deletions]).toEqual([3, 1]);
  expect(git(["log", "-1", "--format=%an", `dash/sloppy/${agent?.name}`], repo)).toBe("Dash");
});

test("an agent cannot write the user's checkout: only its worktree and the repository's .git", async () => {
  const [, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
    name: "intruder",
    task: "t",
    initialAgents: 1,
    config: { repo, command: ["sh", "-c", 'echo bad >> "$0/README.md"', repo], maxRetries: 0 },
  });
  const [agent] = await s.t.store.listAgents({ swarmId: swarm.id });
  // The repository is under /tmp here, which the sandbox gives each agent privately: the write
  // lands in a scratch copy of the path (elsewhere, on a read-only mount, it fails).
  await s.waitFor(agent?.id ?? "");
  expect(readFileSync(join(repo, "README.md"), "utf8")).toBe("hello\nmy own edit\n");
  expect(git(["status", "--porcelain"], repo)).toBe("M README.md");
});

test("branch names are ones git accepts, whatever the names", () => {
  for (const [swarm, agent] of [
    ["My Swarm!", "agent..1.lock"],
    ["..", "-x-"],
    ["feat/login", "ünïcode"],
  ]) {
    const branch = branchFor(swarm as string, agent as string);
    expect(git(["check-ref-format", "--branch", branch], repo)).toBe(branch);
  }
});

test("a repo that is not one, or a base that is not a commit, is a 400 naming the field", async () => {
  const empty = mkdtempSync(join(tmpdir(), "dash-norepo-"));
  const create = (config: Record<string, unknown>) =>
    api.json<{ error: { code: string; message: string; details: { field: string } } }>(
      "POST",
      "/api/swarm",
      api.keys.admin,
      { name: "bad", task: "t", initialAgents: 1, config: { command: ["true"], ...config } },
    );
  const [notRepo, a] = await create({ repo: empty });
  expect([notRepo, a.error.details.field]).toEqual([400, "config.repo"]);
  expect(a.error.message).toContain("is not a git repository");
  const [noRepo, c] = await api.json<{ error: { message: string } }>(
    "GET",
    `/api/agents/${(await s.swarm(["true"])).agents[0]?.id}/diff`,
    api.keys.read,
  );
  expect([noRepo, c.error.message]).toEqual([400, expect.stringContaining("works in no repository")]);
  const [badBase, b] = await create({ repo, baseRef: "no-such-branch" });
  expect([badBase, b.error.details.field]).toEqual([400, "config.baseRef"]);
  rmSync(empty, { recursive: true, force: true });
});

test("a write key may not point agents at a repository unless the server bounds it (sandbox.allowedRoots)", async () => {
  const [code] = await api.json("POST", "/api/swarm", api.keys.write, {
    name: "w",
    task: "t",
    initialAgents: 1,
    config: { repo, command: ["true"] },
  });
  expect(code).toBe(403);
});
