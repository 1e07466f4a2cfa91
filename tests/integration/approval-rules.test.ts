import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT } from "../../src/cli/run.ts";
import { workDirOf } from "../../src/core/worktrees.ts";
import { type ApprovalResponse, ApprovalResponseSchema } from "../../src/domain/approval.ts";
import type { ApprovalRuleResponse } from "../../src/domain/approval-rule.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { serverWithAgents, sh } from "../agents-helpers.ts";
import { errorCode } from "../api-helpers.ts";
import { inProcessCli } from "../cli-helpers.ts";
import { ROOT, until } from "../helpers.ts";

// Approval rules (issue 27): a person answers once, makes a rule of it with the real CLI, and the
// next identical request of a real agent is answered by the rule at once: recorded and evented as
// a person's answer, and the agent goes on without waiting.
const { api, s } = await serverWithAgents();
const { dash, dashJson, stderr } = inProcessCli(api.server.url.origin, api.keys.admin);

/** Each agent waits for `go` in its workspace, then asks and waits for the answer. */
const asking = sh(
  [
    "while [ ! -f go ]; do sleep 0.05; done",
    `"${process.execPath}" "${ROOT}/src/main.ts" approvals request "Run the migrations?" --timeout 60 --wait --json > answer.json; echo "exit=$?"`,
  ].join("; "),
);

const logOf = (agentId: string) => readFileSync(runFiles(api.t.dir, agentId, 0).log, "utf8");
async function go(agent: { id: string; swarmId: string }) {
  await s.waitFor(agent.id, ["running"]);
  writeFileSync(join(workDirOf(api.t.dir, agent, undefined), "go"), "");
}

async function askedBy(agentId: string): Promise<ApprovalResponse> {
  await until(async () => (await api.t.store.listApprovals({ agentId })).length > 0, 20_000);
  const [approval] = await api.t.store.listApprovals({ agentId });
  return ApprovalResponseSchema.parse(
    (await api.json("GET", `/api/approvals/${approval?.id}`, api.keys.read))[1],
  );
}

const adminKeyId = async () => (await api.t.store.listApiKeys()).find((k) => k.name === "admin")?.id;

describe("approval rules", () => {
  test("a rule made --from an answered request answers the next identical one at once; the agent goes on", async () => {
    const { agents } = await s.swarm(asking, { maxRetries: 0 }, 2);
    const [first, second] = agents;
    if (!first || !second) throw new Error("no agents");
    await go(first);
    const asked = await askedBy(first.id);
    await until(async () => (await api.t.store.getAgent(first.id))?.heldBy === "approval");
    expect((await dash(["approvals", "approve", asked.id, "--reason", "they are reviewed"]))[0]).toBe(
      EXIT.ok,
    );
    await s.waitFor(first.id);

    const rule = await dashJson<ApprovalRuleResponse>(["approvals", "rule", "add", "--from", asked.id]);
    expect(rule).toMatchObject({
      action: "approve",
      swarmId: first.swarmId,
      pattern: "Run the migrations?",
      fromApprovalId: asked.id,
      createdBy: await adminKeyId(),
    });

    await go(second);
    const auto = await askedBy(second.id);
    expect(auto).toMatchObject({
      status: "approved",
      resolvedBy: `rule:${rule.id}`,
      reason: `rule ${rule.id}: "Run the migrations?"`,
    });
    expect((await s.waitFor(second.id)).status).toBe("completed");
    expect(logOf(second.id)).toContain("exit=0");
    const types = ["approval.requested", "approval.resolved", "agent.paused"] as const;
    const seen = (await api.t.store.listEvents({ types: [...types] })).filter(
      (e) => e.data.approvalId === auto.id || e.data.agentId === second.id,
    );
    // As a person's answer is evented; the agent was never paused.
    expect(seen.map((e) => e.type).filter((t) => t.startsWith("approval."))).toEqual([
      "approval.requested",
      "approval.resolved",
    ]);
    expect(seen.find((e) => e.type === "approval.resolved")?.data).toMatchObject({
      status: "approved",
      resolvedBy: `rule:${rule.id}`,
    });
    expect(seen.some((e) => e.type === "agent.paused")).toBe(false);

    // The history: who answered each, when, why.
    const [code, table] = await dash(["approvals", "--all", "--swarm", first.swarmId]);
    expect(code).toBe(EXIT.ok);
    expect(table).toMatch(/BY +WHEN +WHY/);
    expect(table).toMatch(
      new RegExp(
        `${asked.id} .*approved .*${await adminKeyId()} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC +they are reviewed`,
      ),
    );
    expect(table).toMatch(new RegExp(`${auto.id} .*approved .*rule:${rule.id} .*UTC +rule ${rule.id}`));
    await dash(["approvals", "rule", "rm", rule.id]);
  }, 60_000);

  test("rule add, list and rm with the CLI; refusals say why", async () => {
    const [empty, none] = await dash(["approvals", "rule", "list"]);
    expect([empty, none]).toEqual([EXIT.ok, "No rules: every request is asked of a person."]);
    const { swarm } = await api.t.lifecycle.createSwarm({ name: "rules", task: "t" });
    const [added, said] = await dash([
      "approvals",
      "rule",
      "add",
      "--action",
      "deny",
      "--match",
      "Delete *",
      "--swarm",
      swarm.id,
    ]);
    expect(added).toBe(EXIT.ok);
    expect(said).toMatch(/✓ deny Delete \* .* swarm /);
    const { rules } = await dashJson<{ rules: ApprovalRuleResponse[] }>(["approvals", "rule", "list"]);
    expect(rules).toHaveLength(1);
    const rule = rules[0] as ApprovalRuleResponse;
    expect(rule).toMatchObject({
      action: "deny",
      pattern: "Delete *",
      swarmId: swarm.id,
      fromApprovalId: null,
    });
    const [, listed] = await dash(["approvals", "rule", "list"]);
    expect(listed).toMatch(/ID +ACTION +MATCH +SWARM/);
    expect(listed).toContain(rule.id);

    // The same pattern twice, an unknown swarm, flags that do not go together.
    const again = [
      "approvals",
      "rule",
      "add",
      "--action",
      "approve",
      "--match",
      "Delete *",
      "--swarm",
      swarm.id,
    ];
    expect((await dash(again))[0]).toBe(EXIT.failure);
    expect(stderr()).toContain("exists already");
    expect(
      (
        await dash([
          "approvals",
          "rule",
          "add",
          "--action",
          "deny",
          "--match",
          "x",
          "--swarm",
          "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        ])
      )[0],
    ).toBe(EXIT.failure);
    expect((await dash(["approvals", "rule", "add", "--from", rule.id, "--action", "deny"]))[0]).toBe(
      EXIT.usage,
    );
    expect((await dash(["approvals", "rule", "add", "--action", "maybe", "--match", "x"]))[0]).toBe(
      EXIT.usage,
    );
    expect((await dash(["approvals", "rule", "add", "--action", "deny"]))[0]).toBe(EXIT.usage);

    // A deny rule answers at once: the request is stored denied.
    const denied = await api.t.lifecycle.requestApproval({
      kind: "budget",
      swarmId: swarm.id,
      title: "Delete the old logs?",
      timeoutSeconds: 60,
    });
    expect(denied).toMatchObject({ status: "denied", resolvedBy: `rule:${rule.id}` });

    const [removed, gone] = await dash(["approvals", "rule", "rm", rule.id]);
    expect([removed, gone]).toEqual([EXIT.ok, expect.stringContaining(`✓ removed deny Delete *`)]);
    expect((await dash(["approvals", "rule", "rm", rule.id]))[0]).toBe(EXIT.failure);
    const asked = await api.t.lifecycle.requestApproval({
      kind: "budget",
      swarmId: swarm.id,
      title: "Delete the old logs?",
      timeoutSeconds: 60,
    });
    expect(asked.status).toBe("pending");
    await api.t.lifecycle.answerApproval(asked.id, { status: "denied", by: "test" });
  });

  test("--from needs a person's answer: not pending, not a timeout, not a merge", async () => {
    const { swarm } = await api.t.lifecycle.createSwarm({ name: "from", task: "t" });
    const ask = (kind: "budget" | "merge", title: string) =>
      api.t.lifecycle.requestApproval({ kind, swarmId: swarm.id, title, timeoutSeconds: 60 });
    const pending = await ask("budget", "go on?");
    const refused = async (id: string, code: string, words: string) => {
      const [, body] = await api.json("POST", "/api/approvals/rules", api.keys.admin, { from: id });
      const { error } = ErrorResponseSchema.parse(body);
      expect([error.code, error.message]).toEqual([code, expect.stringContaining(words)]);
    };
    await refused(pending.id, "CONFLICT", "is not answered yet");
    await api.t.lifecycle.timeOutApproval(pending);
    await refused(pending.id, "CONFLICT", "timed out");
    const merge = await ask("merge", "which side?");
    await api.t.lifecycle.answerApproval(merge.id, { status: "denied", by: "k" });
    await refused(merge.id, "CONFLICT", "is a merge");
    await refused("01ARZ3NDEKTSV4RRFFQ69G5FAV", "NOT_FOUND", "approval");
    // Stars in a copied title are taken literally.
    const starry = await ask("budget", "Remove *.tmp?");
    await api.t.lifecycle.answerApproval(starry.id, { status: "approved", by: "k" });
    const [status, rule] = await api.json<ApprovalRuleResponse>(
      "POST",
      "/api/approvals/rules",
      api.keys.admin,
      {
        from: starry.id,
      },
    );
    expect([status, rule.pattern, rule.action]).toEqual([201, "Remove \\*.tmp?", "approve"]);
    expect((await ask("budget", "Remove everything.tmp?")).status).toBe("pending");
    expect((await ask("budget", "Remove *.tmp?")).status).toBe("approved");
    // Bodies that are neither form, and keys that are not admin.
    for (const body of [
      {},
      { action: "approve" },
      { from: starry.id, action: "deny" },
      { action: "x", match: "y" },
    ]) {
      const res = await api.call("POST", "/api/approvals/rules", api.keys.admin, body);
      expect([res.status, await errorCode(res)]).toEqual([400, "VALIDATION_ERROR"]);
    }
    expect((await api.call("GET", "/api/approvals/rules", api.keys.write)).status).toBe(403);
    await api.call("DELETE", `/api/approvals/rules/${rule.id}`, api.keys.admin);
  });

  test("dash approvals show: the request with its context and how to answer it", async () => {
    const { swarm } = await api.t.lifecycle.createSwarm({ name: "shown", task: "tidy the repo" });
    const asked = await api.t.lifecycle.requestApproval({
      kind: "budget",
      swarmId: swarm.id,
      title: "Spend more?",
      timeoutSeconds: 60,
    });
    const [code, text] = await dash(["approvals", "show", asked.id]);
    expect(code).toBe(EXIT.ok);
    expect(text).toContain("Spend more?");
    expect(text).toMatch(/task +tidy the repo/);
    expect(text).toMatch(/swarm +shown .* \$0\.0000/);
    expect(text).toMatch(/timeout deny at \d{4}-\d\d-\d\d/);
    expect(text).toContain(`dash approvals approve ${asked.id}  or  dash approvals deny ${asked.id}`);
    await api.t.lifecycle.escalateApproval(asked.id, 30);
    await api.t.lifecycle.answerApproval(asked.id, { status: "approved", by: "k", reason: "fine" });
    const [, answered] = await dash(["approvals", "show", asked.id]);
    expect(answered).toMatch(/answered approved by k at .* UTC · fine/);
    expect(answered).toMatch(/escalated at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    const [, listed] = await dash(["approvals", "--all", "--swarm", swarm.id]);
    expect(listed).toMatch(/approved! +budget/);
  });
});
