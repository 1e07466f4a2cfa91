import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EventBus } from "../../src/bus/bus.ts";
import { ApprovalTimer } from "../../src/core/approval-timer.ts";
import { Lifecycle } from "../../src/core/lifecycle.ts";
import { workDirOf } from "../../src/core/worktrees.ts";
import { type ApprovalResponse, ApprovalResponseSchema } from "../../src/domain/approval.ts";
import { type ApprovalContext, ApprovalContextSchema } from "../../src/domain/approval-context.ts";
import type { EventRecord } from "../../src/domain/event.ts";
import type { SwarmResponse } from "../../src/domain/swarm.ts";
import { createLogger } from "../../src/log.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { line, serverWithAgents, sh } from "../agents-helpers.ts";
import { tempRepo } from "../git-helpers.ts";
import { ROOT, until } from "../helpers.ts";

// Escalation with context (issue 27): real agents ask with the real CLI; the server gathers what a
// person needs into the request and its events; the timer escalates once and applies each
// request's timeout action (the config default here is "approve", as `approvals.onTimeout` says).
const { api, s } = await serverWithAgents();
const quiet = createLogger("error", {}, () => {});
api.t.lifecycle.approvalSettings = { onTimeout: "approve", escalateAfter: 1 };
const timer = new ApprovalTimer(api.t.lifecycle, 100, quiet, { escalateAfter: 1 });
beforeAll(() => timer.start());
afterAll(() => timer.stop());

/** The agent prints 30 numbered lines and a usage report, waits for `go`, then asks and waits. */
const asking = (flags: string) =>
  sh(
    [
      'for i in $(seq -w 1 30); do echo "step $i done"; done',
      line({ dash: "usage", model: "m", promptTokens: 10, completionTokens: 5, costUsd: 0.25 }),
      "while [ ! -f go ]; do sleep 0.05; done",
      `"${process.execPath}" "${ROOT}/src/main.ts" approvals request "Push to main?" ${flags} --wait --json > answer.json; echo "exit=$?"`,
    ].join("; "),
  );

const logOf = (agentId: string) => readFileSync(runFiles(api.t.dir, agentId, 0).log, "utf8");

async function events(approvalId: string): Promise<EventRecord[]> {
  const all = await api.t.store.listEvents({
    types: ["approval.requested", "approval.escalated", "approval.resolved", "agent.killed"],
  });
  return all.filter((e) => e.data.approvalId === approvalId || e.type === "agent.killed");
}

/** Starts an agent that asks with `flags` once its usage is recorded; returns it and its request. */
async function ask(flags: string) {
  const { agents } = await s.swarm(asking(flags), { maxRetries: 0 });
  const agent = agents[0];
  if (!agent) throw new Error("no agent");
  await until(async () => (await api.t.store.getAgent(agent.id))?.costMicros === 250_000, 20_000);
  writeFileSync(join(workDirOf(api.t.dir, agent, undefined), "go"), "");
  await until(async () => (await api.t.store.listApprovals({ agentId: agent.id })).length > 0, 20_000);
  const [approval] = await api.t.store.listApprovals({ agentId: agent.id });
  const [, body] = await api.json("GET", `/api/approvals/${approval?.id}`, api.keys.read);
  return { agent, approval: ApprovalResponseSchema.parse(body) };
}

describe("approval context, escalation and timeout actions", () => {
  test("the request carries its context; unanswered past escalateAfter it is escalated once, with it", async () => {
    // A second server on the same database sweeps too: escalation must still fire once. (Only
    // here: its answers would reach its own bus, not this server's long polls.)
    const other = api.t.another();
    const otherTimer = new ApprovalTimer(new Lifecycle(other, new EventBus()), 100, quiet, {
      escalateAfter: 1,
    });
    await otherTimer.start();
    const { agent, approval } = await ask("--timeout 60");
    const context = ApprovalContextSchema.parse(approval.context);
    expect(context).toMatchObject({
      task: "test task",
      agent: { id: agent.id, name: agent.name, costUsd: 0.25 },
      swarm: { id: agent.swarmId, costUsd: 0.25 },
      onTimeout: { action: "approve", at: approval.expiresAt },
      answer: {
        approve: `dash approvals approve ${approval.id}`,
        deny: `dash approvals deny ${approval.id}`,
      },
    });
    // The last 20 lines of its log: the usage report and steps 12…30, not the first ones.
    expect(context.log).toHaveLength(20);
    expect(context.log.at(-2)).toBe("step 30 done");
    expect(context.log.at(-1)).toContain('"dash":"usage"');
    expect(context.log.join("\n")).not.toContain("step 11 done");
    expect(context.files).toBeUndefined(); // no worktree
    expect(approval).toMatchObject({ onTimeout: "approve", escalatedAt: null });

    await until(async () => (await events(approval.id)).some((e) => e.type === "approval.escalated"), 5000);
    await Bun.sleep(500); // several more sweeps of both timers
    await otherTimer.stop();
    other.close();
    const seen = await events(approval.id);
    const escalated = seen.filter((e) => e.type === "approval.escalated");
    expect(escalated).toHaveLength(1);
    const [requested] = seen.filter((e) => e.type === "approval.requested");
    expect(requested?.data.context).toEqual(context);
    expect(escalated[0]?.data).toMatchObject({
      approvalId: approval.id,
      agentId: agent.id,
      title: "Push to main?",
      escalated: true,
      escalatedAfter: 1,
      onTimeout: "approve",
      context,
    });
    const [, now] = await api.json<ApprovalResponse>("GET", `/api/approvals/${approval.id}`, api.keys.read);
    expect(now.escalatedAt).toBeString();
    await api.json("POST", `/api/approvals/${approval.id}/deny`, api.keys.write, { reason: "not now" });
    await s.waitFor(agent.id);
    expect(logOf(agent.id)).toContain("exit=1");
  }, 40_000);

  test("timeout, config default approve: approved by timeout, evented with the action; the agent goes on with yes", async () => {
    const { agent, approval } = await ask("--timeout 1");
    expect(approval.onTimeout).toBe("approve");
    expect((await s.waitFor(agent.id)).status).toBe("completed");
    expect(logOf(agent.id)).toContain("exit=0");
    const [, body] = await api.json("GET", `/api/approvals/${approval.id}`, api.keys.read);
    expect(body).toMatchObject({
      status: "approved",
      resolvedBy: "timeout",
      reason: "timed out after 1s: approved",
    });
    const resolved = (await events(approval.id)).find((e) => e.type === "approval.resolved");
    expect(resolved?.data).toMatchObject({ status: "approved", resolvedBy: "timeout", action: "approve" });
  }, 40_000);

  test("timeout, per request deny: denied by timeout; the agent goes on with no", async () => {
    const { agent, approval } = await ask("--timeout 1 --on-timeout deny");
    expect(approval.context?.onTimeout.action).toBe("deny");
    await s.waitFor(agent.id);
    expect(logOf(agent.id)).toContain("exit=1");
    const resolved = (await events(approval.id)).find((e) => e.type === "approval.resolved");
    expect(resolved?.data).toMatchObject({ status: "denied", resolvedBy: "timeout", action: "deny" });
  }, 40_000);

  test("timeout, per request kill: denied by timeout and the agent killed through the lifecycle", async () => {
    const { agent, approval } = await ask("--timeout 1 --on-timeout kill");
    const done = await s.waitFor(agent.id);
    expect(done.status).toBe("killed");
    expect(logOf(agent.id)).not.toContain("exit=");
    const seen = await events(approval.id);
    const resolved = seen.find((e) => e.type === "approval.resolved");
    expect(resolved?.data).toMatchObject({ status: "denied", resolvedBy: "timeout", action: "kill" });
    expect(resolved?.data.reason).toBe("timed out after 1s: its agent is killed");
    const killed = seen.find((e) => e.type === "agent.killed" && e.data.agentId === agent.id);
    expect(killed?.data.reason).toBe(`approval ${approval.id} timed out: its timeout kills the agent`);
    // Killed in the same transaction as the answer: the event right after it.
    expect(killed && resolved && killed.id > resolved.id).toBe(true);
  }, 40_000);

  test("an agent in a git worktree: the files it changed are in the context", async () => {
    const { repo } = tempRepo({ "README.md": "hello\n", "old.txt": "a\nb\n" });
    const work = [
      "printf 'hello\\nmore\\n' > README.md",
      "rm old.txt",
      "echo one > added.txt && git add added.txt && git commit -qm add",
      "echo draft > notes.txt",
      `"${process.execPath}" "${ROOT}/src/main.ts" approvals request "Merge it?" --timeout 60`,
      "sleep 30",
    ].join(" && ");
    const [status, swarm] = await api.json<SwarmResponse>("POST", "/api/swarm", api.keys.admin, {
      name: "tree",
      task: "edit the readme",
      config: { repo, command: sh(work), maxRetries: 0 },
    });
    expect(status).toBe(201);
    await until(async () => (await api.t.store.listApprovals({ swarmId: swarm.id })).length > 0, 20_000);
    const [approval] = await api.t.store.listApprovals({ swarmId: swarm.id });
    const context = approval?.context as ApprovalContext;
    expect(context.task).toBe("edit the readme");
    const files = [...(context.files ?? [])].sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(files).toEqual([
      { path: "README.md", insertions: 1, deletions: 0 },
      { path: "added.txt", insertions: 1, deletions: 0 },
      { path: "notes.txt", insertions: 0, deletions: 0, untracked: true },
      { path: "old.txt", insertions: 0, deletions: 2 },
    ]);
    expect(context.filesMore).toBe(0);
    await api.json("DELETE", `/api/swarm/${swarm.id}`, api.keys.admin);
  }, 40_000);

  test("a request about no agent: the swarm's task and spend; kill falls back to deny (nothing to kill)", async () => {
    const { swarm } = await api.t.lifecycle.createSwarm({ name: "money", task: "count coins" });
    const asked = await api.t.lifecycle.requestApproval({
      kind: "budget",
      swarmId: swarm.id,
      title: "go on?",
      timeoutSeconds: 60,
      onTimeout: "kill",
    });
    expect(asked.onTimeout).toBe("deny");
    expect(asked.context).toMatchObject({
      task: "count coins",
      agent: null,
      swarm: { id: swarm.id, name: "money", costUsd: 0 },
      log: [],
      onTimeout: { action: "deny" },
    });
    // A merge approval is never approved by its timeout: a person picks the side to keep.
    const merge = await api.t.lifecycle.requestApproval({
      kind: "merge",
      swarmId: swarm.id,
      title: "which side?",
      timeoutSeconds: 60,
    });
    expect([merge.onTimeout, merge.context?.onTimeout.action]).toEqual(["deny", "deny"]);
    await api.t.lifecycle.answerApproval(asked.id, { status: "denied", by: "test" });
    await api.t.lifecycle.answerApproval(merge.id, { status: "denied", by: "test" });
  });
});
