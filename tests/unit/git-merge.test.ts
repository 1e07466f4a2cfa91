/**
 * The git side of merge-back on a real temp repository: conflicts stop and leave nothing behind,
 * a preferred side settles them (content, and a file one side deleted), the target moves only by
 * compare-and-swap, and merge records decide which branches a destroy deletes.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decideAnswer } from "../../src/core/approvals.ts";
import { branchCommit, checkedOutAt } from "../../src/core/git-async.ts";
import { type MergeStep, mergeInScratch, moveTarget } from "../../src/core/git-merge.ts";
import { noteMerged, settleBranches } from "../../src/core/merged-refs.ts";
import { git } from "../../src/core/worktrees.ts";
import type { ApprovalRecord } from "../../src/domain/approval.ts";
import { DashError } from "../../src/domain/errors.ts";
import { checkoutState, tempRepo } from "../git-helpers.ts";
import { tempHome } from "../helpers.ts";

const { repo, base } = tempRepo({ "a.txt": "one\ntwo\nthree\n", "gone.txt": "x\n" }, { "a.txt": "mine\n" });
const before = checkoutState(repo);
const home = tempHome();
afterAll(home.cleanup);

/** A branch from base with `edit` done in a throwaway worktree, committed. */
async function branch(name: string, edit: (dir: string) => void): Promise<MergeStep> {
  const dir = join(home.dir, `wt-${name}`);
  git(["worktree", "add", "-q", "-b", name, dir, base], repo);
  edit(dir);
  git(["add", "-A"], dir);
  git(["commit", "-qm", name], dir);
  git(["worktree", "remove", dir], repo);
  return { branch: name, commit: (await branchCommit(repo, name)) as string, message: `merge ${name}` };
}

const scratch = join(home.dir, "scratch");
const left = await branch("left", (d) => writeFileSync(join(d, "a.txt"), "one\nLEFT\nthree\n"));
const right = await branch("right", (d) => writeFileSync(join(d, "a.txt"), "one\nRIGHT\nthree\n"));
const remover = await branch("remover", (d) => unlinkSync(join(d, "gone.txt")));
const editor = await branch("editor", (d) => writeFileSync(join(d, "gone.txt"), "edited\n"));

describe("mergeInScratch", () => {
  test("a conflict stops the run: files named, where it stopped, no scratch worktree left", async () => {
    const run = await mergeInScratch(repo, scratch, base, [left, right]);
    expect(run).toMatchObject({ ok: false, files: ["a.txt"], step: { branch: "right" } });
    if (run.ok) return;
    expect(git(["show", `${run.at}:a.txt`], repo)).toBe("one\nLEFT\nthree");
    expect(existsSync(scratch)).toBe(false);
    expect(git(["worktree", "list"], repo).split("\n")).toHaveLength(1);
  });

  test("prefer ours keeps what was merged before; theirs takes the branch's lines", async () => {
    const ours = await mergeInScratch(repo, scratch, base, [left, { ...right, prefer: "ours" }]);
    const theirs = await mergeInScratch(repo, scratch, base, [left, { ...right, prefer: "theirs" }]);
    if (!ours.ok || !theirs.ok) throw new Error("a preferred side must settle the conflict");
    expect(git(["show", `${ours.head}:a.txt`], repo)).toBe("one\nLEFT\nthree");
    expect(git(["show", `${theirs.head}:a.txt`], repo)).toBe("one\nRIGHT\nthree");
    expect(ours.merged.map((s) => s.branch)).toEqual(["left", "right"]);
  });

  test("a file deleted on one side and edited on the other takes the preferred side whole", async () => {
    const deleted = await mergeInScratch(repo, scratch, base, [editor, { ...remover, prefer: "theirs" }]);
    const kept = await mergeInScratch(repo, scratch, base, [editor, { ...remover, prefer: "ours" }]);
    if (!deleted.ok || !kept.ok) throw new Error("a preferred side must settle modify/delete");
    expect(git(["ls-tree", "--name-only", deleted.head], repo)).toBe("a.txt");
    expect(git(["show", `${kept.head}:gone.txt`], repo)).toBe("edited");
  });

  test("a scratch worktree a crash left behind is replaced; a branch already in is counted as such", async () => {
    git(["worktree", "add", "-q", "--detach", scratch, base], repo);
    const run = await mergeInScratch(repo, scratch, left.commit, [left]);
    expect(run).toMatchObject({ ok: true, merged: [], already: [{ branch: "left" }] });
  });
});

test("the target moves only from where it was; the checked-out branch is found", async () => {
  await moveTarget(repo, "target", left.commit, null);
  await expect(moveTarget(repo, "target", right.commit, null)).rejects.toThrow(DashError);
  await expect(moveTarget(repo, "target", right.commit, base)).rejects.toThrow(/target/);
  expect(await branchCommit(repo, "target")).toBe(left.commit);
  expect(await checkedOutAt(repo, "main")).toBe(repo);
  expect(await checkedOutAt(repo, "target")).toBeNull();
  expect(checkoutState(repo)).toEqual(before);
});

test("destroy deletes a branch only while it still points at the commit merged", async () => {
  const swarm = { id: "S1", name: "s", config: { repo } };
  const agents = ["a1", "a2", "a3", "a4"].map((id) => ({ id, name: id }));
  const made: MergeStep[] = [];
  for (const a of agents)
    made.push(await branch(`dash/s/${a.name}`, (d) => writeFileSync(join(d, `${a.id}.txt`), "x\n")));
  const landed = made.map((step, i) => ({
    agentId: agents[i]?.id as string,
    branch: step.branch,
    commit: step.commit,
  }));
  // a2's side lost a conflict; a3 gained a commit after its merge; a4 was never merged.
  await noteMerged(repo, swarm.id, landed.slice(0, 3), ["dash/s/a2"]);
  const a3 = landed[2]?.commit as string;
  git(
    [
      "update-ref",
      "refs/heads/dash/s/a3",
      git(["commit-tree", "-p", a3, "-m", "later", `${a3}^{tree}`], repo),
    ],
    repo,
  );
  expect(await settleBranches(home.dir, swarm, agents, false)).toEqual({
    deleted: ["dash/s/a1"],
    kept: ["dash/s/a2", "dash/s/a3", "dash/s/a4"],
  });
  expect(git(["for-each-ref", "refs/dash/"], repo)).toBe("");
  expect(await settleBranches(home.dir, { ...swarm, config: {} }, agents, false)).toEqual({
    deleted: [],
    kept: [],
  });
});

test("choice: needed to approve a merge, one of its sides; refused on other kinds", async () => {
  const approval = (kind: ApprovalRecord["kind"]): ApprovalRecord => ({
    id: "A1",
    kind,
    swarmId: null,
    agentId: null,
    title: "t",
    // The target's own side has no agent id: an answer with no choice must not pick it.
    details: {
      sides: [
        { name: "agent-1", agentId: "X1", branch: "dash/s/agent-1" },
        { name: "main", agentId: null, branch: "main" },
      ],
    },
    status: "pending",
    reason: null,
    resolvedBy: null,
    createdAt: 0,
    updatedAt: 0,
    expiresAt: 1,
    resolvedAt: null,
    context: null,
    onTimeout: "deny",
    escalatedAt: null,
    version: 1,
  });
  const answer = (kind: ApprovalRecord["kind"], status: "approved" | "denied", choice?: string) =>
    decideAnswer({ status, by: "k", choice }, 5)(approval(kind), null, 0, true);
  expect(answer("merge", "approved", "X1").patch.details).toMatchObject({ choice: "agent-1" });
  expect(answer("merge", "approved", "dash/s/agent-1").events[0]?.data.choice).toBe("agent-1");
  expect(() => answer("merge", "approved")).toThrow(/one of agent-1, main/);
  expect(answer("merge", "denied").patch.details).toBeUndefined();
  expect(() => answer("agent", "approved", "agent-1")).toThrow(/only for merge approvals/);
  expect(answer("budget", "approved").patch.status).toBe("approved");
});
