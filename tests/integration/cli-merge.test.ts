/**
 * `dash swarm merge`, `dash approvals approve --choice` and `dash swarm destroy [--keep-branches]`
 * in this process against a real server and a real repository: what they print and their exit
 * codes. The agents' work is made here with git (the agents themselves run in swarm-merge.test.ts).
 */
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT } from "../../src/cli/run.ts";
import { git } from "../../src/core/worktrees.ts";
import type { MergeOutcome } from "../../src/domain/merge.ts";
import { testServer } from "../api-helpers.ts";
import { inProcessCli } from "../cli-helpers.ts";
import { tempRepo } from "../git-helpers.ts";

const api = await testServer();
afterAll(() => api.close());
const { home, dash, dashJson } = inProcessCli(api.server.url.origin, api.keys.admin);
const { repo, base } = tempRepo({ "shared.txt": "original\n" });

/** A repo swarm whose agents completed, each having committed `edits(agent)` on its branch. */
async function completedSwarm(name: string, edits: (i: number) => Record<string, string>) {
  const { lifecycle } = api.t;
  const { swarm, agents } = await lifecycle.createSwarm({
    name,
    task: "t",
    initialAgents: 2,
    config: { repo, baseRef: base },
  });
  for (const [i, agent] of agents.entries()) {
    const dir = join(home.dir, `${name}-${i}`);
    git(["worktree", "add", "-q", "-b", `dash/${name}/${agent.name}`, dir, base], repo);
    for (const [file, text] of Object.entries(edits(i))) writeFileSync(join(dir, file), text);
    git(["add", "-A"], dir);
    git(["commit", "-qm", agent.name], dir);
    git(["worktree", "remove", dir], repo);
    for (const to of ["spawning", "running", "completed"] as const)
      await lifecycle.moveAgent(agent.id, { to });
  }
  return { id: swarm.id, names: agents.map((a) => a.name) };
}

test("merge prints what came in and how to bring it over; destroy lists the branches it deleted", async () => {
  const swarm = await completedSwarm("two", (i) => ({ [`f${i}.txt`]: "x\n" }));
  const [code, text] = await dash(["swarm", "merge", swarm.id]);
  expect(code).toBe(EXIT.ok);
  expect(text).toContain(`Merged 2 branch(es) into dash/two/merged`);
  expect(text).toContain("git merge dash/two/merged");
  const [, again] = await dash(["swarm", "merge", swarm.id]);
  expect(again).toContain("Nothing new to merge: dash/two/merged");
  expect(again).toContain(`already in dash/two/merged: ${swarm.names.join(", ")}`);
  const [gone, destroyed] = await dash(["swarm", "destroy", swarm.id]);
  expect(gone).toBe(EXIT.ok);
  expect(destroyed).toContain("Destroyed swarm two");
  expect(destroyed).toContain(
    `merged branches deleted: ${swarm.names.map((n) => `dash/two/${n}`).join(", ")}`,
  );
});

test("a conflict prints both sides and the commands that answer it; --choice finishes it", async () => {
  const swarm = await completedSwarm("same", (i) => ({ "shared.txt": `side ${i}\n` }));
  const [code, text] = await dash(["swarm", "merge", swarm.id, "--into", "review"]);
  expect(code).toBe(EXIT.failure);
  const [first, second] = swarm.names;
  expect(text).toContain(`Merge stopped: ${second} and ${first} changed the same lines of shared.txt.`);
  expect(text).toContain("review is unchanged and every branch is kept.");
  const id = /dash approvals approve (\S+) --choice/.exec(text)?.[1] ?? "";
  expect(text).toContain(`--choice <${second}|${first}>`);
  expect(text).toContain(`dash approvals deny ${id}`);
  const [approved, said] = await dash(["approvals", "approve", id, "--choice", first ?? ""]);
  expect(approved).toBe(EXIT.ok);
  expect(said).toContain("Merged 2 branch(es) into review");
  expect(git(["show", "review:shared.txt"], repo)).toBe("side 0");
  const kept = await dashJson<{ branches: { kept: string[] } }>([
    "swarm",
    "destroy",
    swarm.id,
    "--keep-branches",
  ]);
  expect(kept.branches.kept).toEqual(swarm.names.map((n) => `dash/same/${n}`));
  const [, human] = await dash(["swarm", "show", swarm.id]);
  expect(human).toContain("destroyed");
});

test("merge --json gives the outcome; an agent that did not complete is listed as not merged", async () => {
  const { swarm, agents } = await api.t.lifecycle.createSwarm({
    name: "idle",
    task: "t",
    config: { repo, baseRef: base },
  });
  const outcome = await dashJson<MergeOutcome>(["swarm", "merge", swarm.id]);
  expect(outcome).toMatchObject({
    status: "up-to-date",
    merged: [],
    skipped: [{ agentId: agents[0]?.id, reason: "the agent is idle" }],
  });
  const [, text] = await dash(["swarm", "merge", swarm.id]);
  expect(text).toContain(`not merged: ${agents[0]?.name} (the agent is idle)`);
});
