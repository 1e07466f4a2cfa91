/**
 * Merge-back (issue 12) with real git and real sandboxed command agents: `dash swarm merge` brings
 * the agents' branches into one branch in a scratch worktree; two agents changing the same line
 * stop it with a `merge` approval, and approving one side finishes it; destroy deletes merged
 * branches and keeps (and lists) the rest. The user's checkout is never touched.
 */
import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { git } from "../../src/core/worktrees.ts";
import type { ApprovalResponse } from "../../src/domain/approval.ts";
import type { MergeOutcome } from "../../src/domain/merge.ts";
import type { SwarmResponse } from "../../src/domain/swarm.ts";
import { serverWithAgents } from "../agents-helpers.ts";
import { checkoutState, tempRepo } from "../git-helpers.ts";
import { ROOT, until } from "../helpers.ts";

const { api, s } = await serverWithAgents();
const { repo, base } = tempRepo(
  { "README.md": "hello\n", "shared.txt": "original\n" },
  { "README.md": "hello\nmy own edit\n" },
);
const before = checkoutState(repo);

/** `dash …` against the in-process server (async: a sync spawn would block the server). */
async function dash(...args: string[]) {
  const cli = Bun.spawn(
    [
      process.execPath,
      join(ROOT, "src", "main.ts"),
      ...args,
      "--url",
      api.server.url.origin,
      "--key",
      api.keys.admin,
    ],
    { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err] = [await new Response(cli.stdout).text(), await new Response(cli.stderr).text()];
  return { code: await cli.exited, out: out + err };
}

async function swarmOf(name: string, agents: number, script: string) {
  const [status, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
    name,
    task: "edit",
    initialAgents: agents,
    config: { repo, command: ["sh", "-c", script], maxRetries: 0 },
  });
  expect(status).toBe(201);
  const list = await s.t.store.listAgents({ swarmId: swarm.id });
  for (const agent of list) expect((await s.waitFor(agent.id)).status).toBe("completed");
  return { swarm, agents: list };
}

const tree = (ref: string) => git(["ls-tree", "--name-only", ref], repo).split("\n").sort();

test("3 agents in parallel: dash swarm merge brings all three in, destroy deletes the merged branches", async () => {
  const { swarm, agents } = await swarmOf(
    "trio",
    3,
    'echo "work of $DASH_AGENT_ID" > "agent-$DASH_AGENT_ID.txt" && git add -A && git commit -qm "$DASH_AGENT_ID"',
  );
  // The user's checked-out branch is refused: Dash never moves a branch under a working tree.
  const [refused, error] = await api.json<{ error: { code: string; message: string } }>(
    "POST",
    `/api/swarm/${swarm.id}/merge`,
    api.keys.write,
    { into: "main" },
  );
  expect([refused, error.error.code]).toEqual([409, "CONFLICT"]);
  expect(error.error.message).toContain(`main is checked out in ${repo}`);

  const merged = await dash("swarm", "merge", swarm.id);
  expect(merged.code).toBe(0);
  expect(merged.out).toContain("Merged 3 branch(es) into dash/trio/merged");
  const files = agents.map((a) => `agent-${a.id}.txt`);
  expect(tree("dash/trio/merged")).toEqual([...files, "README.md", "shared.txt"].sort());
  expect(git(["log", "--merges", "--format=%an %s", "dash/trio/merged"], repo).split("\n")).toHaveLength(3);
  expect(git(["log", "--merges", "--format=%an", "dash/trio/merged"], repo)).not.toContain("Test");
  for (const a of agents)
    expect(git(["diff", "--name-only", base, `dash/trio/${a.name}`], repo)).toBe(`agent-${a.id}.txt`);

  // Again: nothing new.
  const [, again] = await api.json<MergeOutcome>("POST", `/api/swarm/${swarm.id}/merge`, api.keys.write, {});
  expect([again.status, again.already.length, again.merged.length]).toEqual(["up-to-date", 3, 0]);

  const destroyed = await dash("swarm", "destroy", swarm.id);
  expect(destroyed.code).toBe(0);
  expect(destroyed.out).toContain("merged branches deleted");
  expect(git(["branch", "--list", "dash/trio/*"], repo)).toBe("dash/trio/merged");
  await until(() => !git(["worktree", "list"], repo).includes(swarm.id), 10_000);
  expect(git(["for-each-ref", "refs/dash/"], repo)).toBe("");
  expect(checkoutState(repo)).toEqual(before);
}, 30_000);

test("two agents change the same line: the merge stops with an approval, approving one side completes it", async () => {
  git(["branch", "integration", base], repo);
  const { swarm, agents } = await swarmOf(
    "clash",
    2,
    'echo "by $DASH_AGENT_ID" > shared.txt && git commit -qam "$DASH_AGENT_ID"',
  );
  const [first, second] = agents as [(typeof agents)[0], (typeof agents)[0]];
  const [status, stopped] = await api.json<MergeOutcome>(
    "POST",
    `/api/swarm/${swarm.id}/merge`,
    api.keys.write,
    {
      into: "integration",
    },
  );
  expect([status, stopped.status, stopped.head]).toEqual([200, "conflict", base]);
  expect(stopped.conflict?.files).toEqual(["shared.txt"]);
  expect(stopped.conflict?.sides.map((side) => side.name)).toEqual([second.name, first.name]);
  const approval = stopped.approval as ApprovalResponse;
  expect([approval.kind, approval.status, approval.swarmId]).toEqual(["merge", "pending", swarm.id]);
  expect(approval.title).toContain("shared.txt");
  // The target is unchanged; nothing else moved.
  expect(git(["rev-parse", "integration"], repo)).toBe(base);
  expect(git(["for-each-ref", "refs/dash/"], repo)).toBe("");

  // While it waits: a second merge is refused, and approving needs a side.
  const [busy] = await api.json("POST", `/api/swarm/${swarm.id}/merge`, api.keys.write, {
    into: "integration",
  });
  expect(busy).toBe(409);
  const [noSide, said] = await api.json<{ error: { message: string } }>(
    "POST",
    `/api/approvals/${approval.id}/approve`,
    api.keys.write,
    {},
  );
  expect(noSide).toBe(400);
  expect(said.error.message).toContain(`one of ${second.name}, ${first.name}`);
  const [wrong] = await api.json("POST", `/api/approvals/${approval.id}/approve`, api.keys.write, {
    choice: "nobody",
  });
  expect(wrong).toBe(400);

  // Keep the second agent's side.
  const approved = await dash("approvals", "approve", approval.id, "--choice", second.name);
  expect(approved.code).toBe(0);
  expect(approved.out).toContain("Merged 2 branch(es) into integration");
  expect(git(["show", "integration:shared.txt"], repo)).toBe(`by ${second.id}`);
  // The other side's work is still on its branch.
  expect(git(["show", `dash/clash/${first.name}:shared.txt`], repo)).toBe(`by ${first.id}`);

  // Destroy: the winner's branch (merged) goes; the overridden one is kept and listed.
  const [, destroyed] = await api.json<SwarmResponse & { branches: { deleted: string[]; kept: string[] } }>(
    "DELETE",
    `/api/swarm/${swarm.id}`,
    api.keys.write,
  );
  expect(destroyed.branches).toEqual({
    deleted: [`dash/clash/${second.name}`],
    kept: [`dash/clash/${first.name}`],
  });
  // Worktrees go with the destroyed swarm's cleanup, which may finish just after the answer.
  await until(() => git(["branch", "--list", "dash/clash/*"], repo) === `dash/clash/${first.name}`, 5000);
  expect(checkoutState(repo)).toEqual(before);
}, 30_000);

test("merges of one swarm at once run one after the other: one merges, the next finds nothing new", async () => {
  const { swarm } = await swarmOf(
    "pair",
    2,
    'echo x > "p-$DASH_AGENT_ID.txt" && git add -A && git commit -qm p',
  );
  const merge = () => api.json<MergeOutcome>("POST", `/api/swarm/${swarm.id}/merge`, api.keys.write, {});
  const answers = await Promise.all([merge(), merge(), merge()]);
  expect(answers.map(([code]) => code)).toEqual([200, 200, 200]);
  expect(answers.map(([, m]) => m.status).sort()).toEqual(["merged", "up-to-date", "up-to-date"]);
  expect(git(["rev-list", "--merges", "--count", "dash/pair/merged"], repo)).toBe("2");
}, 30_000);

test("a conflict with the target's own commits: the target is a side, and keeping it keeps the agent's branch", async () => {
  // Someone committed to the target meanwhile, on the line the agent changes.
  const wt = join(s.t.dir, "someone");
  git(["worktree", "add", "-q", "-b", "release", wt, base], repo);
  await Bun.write(join(wt, "shared.txt"), "hotfix\n");
  git(["commit", "-qam", "hotfix"], wt);
  git(["worktree", "remove", wt], repo);
  const release = git(["rev-parse", "release"], repo);
  const { swarm, agents } = await swarmOf("solo", 1, 'echo "agent" > shared.txt && git commit -qam agent');
  const agent = agents[0] as (typeof agents)[0];
  const [, stopped] = await api.json<MergeOutcome>("POST", `/api/swarm/${swarm.id}/merge`, api.keys.write, {
    into: "release",
  });
  expect(stopped.conflict?.sides).toEqual([
    { name: agent.name, agentId: agent.id, branch: `dash/solo/${agent.name}` },
    { name: "release", agentId: null, branch: "release" },
  ]);
  const id = stopped.approval?.id as string;
  // No choice is no answer, even with a side that has no agent.
  expect((await api.json("POST", `/api/approvals/${id}/approve`, api.keys.write, {}))[0]).toBe(400);
  const [code, answered] = await api.json<ApprovalResponse & { merge: MergeOutcome }>(
    "POST",
    `/api/approvals/${id}/approve`,
    api.keys.write,
    { choice: "release" },
  );
  expect([code, answered.merge.status]).toEqual([200, "merged"]);
  expect(git(["show", "release:shared.txt"], repo)).toBe("hotfix");
  expect(git(["rev-parse", "release^1"], repo)).toBe(release);
  const [, destroyed] = await api.json<{ branches: unknown }>(
    "DELETE",
    `/api/swarm/${swarm.id}`,
    api.keys.write,
  );
  expect(destroyed.branches).toEqual({ deleted: [], kept: [`dash/solo/${agent.name}`] });
}, 30_000);

test("a denied merge moves nothing; --keep-branches keeps even merged branches", async () => {
  const { swarm, agents } = await swarmOf(
    "deny",
    2,
    'echo "$DASH_AGENT_ID" > shared.txt && git commit -qam x',
  );
  const [, stopped] = await api.json<MergeOutcome>(
    "POST",
    `/api/swarm/${swarm.id}/merge`,
    api.keys.write,
    {},
  );
  expect(stopped.status).toBe("conflict");
  const id = stopped.approval?.id as string;
  const [code, denied] = await api.json<ApprovalResponse>(
    "POST",
    `/api/approvals/${id}/deny`,
    api.keys.write,
    {},
  );
  expect([code, denied.status]).toEqual([200, "denied"]);
  // The default target was never made: a conflict moves (or makes) nothing.
  expect(git(["branch", "--list", "dash/deny/merged"], repo)).toBe("");
  const merged = await dash("swarm", "merge", swarm.id, "--into", "only-first", "--json");
  expect(merged.code).toBe(1);
  const kept = await dash("swarm", "destroy", swarm.id, "--keep-branches", "--json");
  const { branches } = JSON.parse(kept.out) as { branches: { deleted: string[]; kept: string[] } };
  expect(branches).toEqual({ deleted: [], kept: agents.map((a) => `dash/deny/${a.name}`) });
}, 30_000);

test("a repository deleted meanwhile: merge says so (409), destroy still destroys", async () => {
  const gone = tempRepo({ "a.txt": "a\n" });
  const [, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
    name: "vanish",
    task: "t",
    config: { repo: gone.repo, command: ["sh", "-c", "echo b > b.txt"], maxRetries: 0 },
  });
  const [agent] = await s.t.store.listAgents({ swarmId: swarm.id });
  await s.waitFor(agent?.id ?? "");
  rmSync(gone.repo, { recursive: true, force: true });
  const [code, error] = await api.json<{ error: { message: string } }>(
    "POST",
    `/api/swarm/${swarm.id}/merge`,
    api.keys.write,
    {},
  );
  expect([code, error.error.message]).toEqual([
    409,
    `the swarm's repository ${gone.repo} is gone: nothing can be merged into it`,
  ]);
  const [destroyed, body] = await api.json<SwarmResponse & { branches?: unknown }>(
    "DELETE",
    `/api/swarm/${swarm.id}`,
    api.keys.write,
  );
  expect([destroyed, body.status, body.branches]).toEqual([200, "destroyed", undefined]);
});
