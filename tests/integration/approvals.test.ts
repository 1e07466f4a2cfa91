import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { main } from "../../src/cli/index.ts";
import { EXIT, runCli } from "../../src/cli/run.ts";
import { ApprovalTimer } from "../../src/core/approval-timer.ts";
import { type ApprovalResponse, ApprovalResponseSchema } from "../../src/domain/approval.ts";
import { createLogger } from "../../src/log.ts";
import { processState } from "../../src/runtimes/process.ts";
import { runFiles } from "../../src/runtimes/run-files.ts";
import { createApiKey } from "../../src/safety/api-keys.ts";
import { serverWithAgents, sh } from "../agents-helpers.ts";
import { captureConsole, ROOT, until } from "../helpers.ts";

// Approval gates (issue 9): a real agent (sandboxed, as by default) asks with the real CLI and its
// own token, waits stopped, and goes on with the answer: approved, denied, or timed out.
const { api, s } = await serverWithAgents();
const timer = new ApprovalTimer(
  api.t.lifecycle,
  100,
  createLogger("error", {}, () => {}),
);
let out: string[] = [];
const spies: { mockRestore: () => void }[] = [];
beforeAll(() => timer.start());
afterAll(() => timer.stop());
beforeEach(() => {
  process.env.NO_COLOR = "1";
  out = [];
  spies.push(
    ...captureConsole(
      () => out,
      () => [],
      { stdout: true },
    ),
  );
});
afterEach(() => {
  for (const spy of spies.splice(0)) spy.mockRestore();
  process.exitCode = 0;
});

/** The agent asks, then prints how `dash approvals request --wait` ended. */
const asking = (timeout = 60) =>
  sh(
    `"${process.execPath}" "${ROOT}/src/main.ts" approvals request "May I deploy?" --timeout ${timeout} --wait --json > answer.json; echo "exit=$?"`,
  );

const cli = (args: string[]) =>
  runCli(main, [...args, "--url", api.server.url.origin, "--key", api.keys.admin], "test");

async function askedBy(agentId: string): Promise<ApprovalResponse> {
  await until(async () => (await api.t.store.listApprovals({ agentId })).length > 0, 20_000);
  const [approval] = await api.t.store.listApprovals({ agentId });
  const [, body] = await api.json("GET", `/api/approvals/${approval?.id}`, api.keys.read);
  return ApprovalResponseSchema.parse(body);
}

async function runAsking(timeout?: number) {
  const { agents } = await s.swarm(asking(timeout), { maxRetries: 0 });
  const agent = agents[0];
  if (!agent) throw new Error("no agent");
  return { id: agent.id, approval: await askedBy(agent.id) };
}

const logOf = (agentId: string) => readFileSync(runFiles(api.t.dir, agentId, 0).log, "utf8");

describe("approval gates", () => {
  test("round trip: the agent waits paused and stopped; `dash approvals approve` lets it go on with yes", async () => {
    const { id, approval } = await runAsking();
    expect(approval).toMatchObject({ kind: "agent", agentId: id, title: "May I deploy?", status: "pending" });
    await until(async () => (await api.t.store.getAgent(id))?.heldBy === "approval");
    const waiting = await api.t.store.getAgent(id);
    expect(waiting?.status).toBe("paused");
    await until(() => processState(waiting?.pid ?? 0) === "T");

    expect(await cli(["approvals"])).toBe(EXIT.ok);
    expect(out.join("\n")).toContain("May I deploy?");
    expect(out.join("\n")).toContain(approval.id);

    out = [];
    expect(await cli(["approvals", "approve", approval.id, "--reason", "ship it", "--json"])).toBe(EXIT.ok);
    const answered = ApprovalResponseSchema.parse(JSON.parse(out.join("")));
    expect(answered).toMatchObject({ status: "approved", reason: "ship it" });
    const done = await s.waitFor(id);
    expect(done.status).toBe("completed");
    expect(logOf(id)).toContain("exit=0");
    const events = await api.t.store.listEvents({ types: ["approval.requested", "approval.resolved"] });
    expect(events.filter((e) => e.data.approvalId === approval.id).map((e) => e.type)).toEqual([
      "approval.requested",
      "approval.resolved",
    ]);
    // Answered once only.
    expect(await cli(["approvals", "deny", approval.id])).toBe(EXIT.failure);
  }, 30_000);

  test("denied through the API: the agent goes on and its request exits 1", async () => {
    const { id, approval } = await runAsking();
    const [status, body] = await api.json("POST", `/api/approvals/${approval.id}/deny`, api.keys.write, {
      reason: "not today",
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "denied", reason: "not today" });
    await s.waitFor(id);
    expect(logOf(id)).toContain("exit=1");
  }, 30_000);

  test("a request nobody answers times out as denied, and the agent goes on", async () => {
    const { id, approval } = await runAsking(1);
    await s.waitFor(id);
    expect(logOf(id)).toContain("exit=1");
    const [, body] = await api.json("GET", `/api/approvals/${approval.id}`, api.keys.read);
    expect(body).toMatchObject({ status: "denied", resolvedBy: "timeout", reason: "timed out after 1s" });
  }, 30_000);

  test("dash approvals request asks (--wait exits 0 or 1 with the answer); list --all; an empty list says so", async () => {
    const { agents } = await s.swarm(sh("sleep 5"), { maxRetries: 0 });
    const agentId = agents[0]?.id as string;
    await s.waitFor(agentId, ["running"]);
    expect(
      await cli(["approvals", "request", "Rotate the keys?", "--agent", agentId, "--timeout", "30"]),
    ).toBe(EXIT.ok);
    expect(out.join("\n")).toMatch(/\? pending Rotate the keys\? .* agent · agent .* expires/);
    const [pending] = await api.t.store.listApprovals({ agentId, status: "pending" });
    out = [];
    expect(await cli(["approvals", "approve", pending?.id as string])).toBe(EXIT.ok);
    expect(out.join("\n")).toMatch(/✓ approved Rotate the keys\? .* by /);

    const waiting = cli(["approvals", "request", "Drop the table?", "--agent", agentId, "--wait"]);
    await until(async () => (await api.t.store.listApprovals({ agentId, status: "pending" })).length === 1);
    const [asked] = await api.t.store.listApprovals({ agentId, status: "pending" });
    await api.t.lifecycle.answerApproval(asked?.id as string, { status: "denied", reason: "no", by: "test" });
    expect(await waiting).toBe(EXIT.failure);
    expect(out.join("\n")).toContain("denied Drop the table?");
    process.exitCode = 0; // one CLI run per process in real life

    out = [];
    expect(await cli(["approvals", "list", "--all", "--swarm", agents[0]?.swarmId as string])).toBe(EXIT.ok);
    expect(out.join("\n")).toMatch(/approved .*Rotate the keys\?/);
    expect(out.join("\n")).toMatch(/denied .*Drop the table\?/);
    out = [];
    expect(await cli(["approvals", "--swarm", agents[0]?.swarmId as string])).toBe(EXIT.ok);
    expect(out.join("\n")).toContain("Nothing waits for an answer.");
    await api.t.lifecycle.moveAgent(agentId, { to: "killed" });
  }, 30_000);

  test("answered while its swarm is paused, the agent stays paused until the swarm resumes", async () => {
    const { agents } = await s.swarm(sh("sleep 5"), { maxRetries: 0 });
    const agent = agents[0];
    if (!agent) throw new Error("no agent");
    await s.waitFor(agent.id, ["running"]);
    const asked = await api.t.lifecycle.requestApproval({
      kind: "agent",
      agentId: agent.id,
      title: "go?",
      timeoutSeconds: 60,
    });
    await api.json("POST", `/api/swarm/${agent.swarmId}/pause`, api.keys.write, {});
    await api.json("POST", `/api/approvals/${asked.id}/approve`, api.keys.write, {});
    expect(await api.t.store.getAgent(agent.id)).toMatchObject({ status: "paused", heldBy: null });
    await api.json("POST", `/api/swarm/${agent.swarmId}/resume`, api.keys.write, {});
    expect((await api.t.store.getAgent(agent.id))?.status).toBe("running");
    await api.t.lifecycle.moveAgent(agent.id, { to: "killed" });
  });

  test("only people answer; an agent asks only for itself; bad requests are refused", async () => {
    const { agents } = await s.swarm(sh("sleep 5"), { maxRetries: 0 });
    const [agent, other] = [agents[0], (await s.swarm(sh("sleep 5"))).agents[0]];
    if (!agent || !other) throw new Error("no agents");
    const token = await createApiKey(api.t.store, {
      name: "agent",
      permissions: ["read", "write"],
      scope: { swarmId: agent.swarmId, agentId: agent.id },
    });
    await s.waitFor(agent.id, ["running"]);
    const [asked, created] = await api.json("POST", "/api/approvals", token.key, { title: "ok?" });
    expect(asked).toBe(201);
    const approval = ApprovalResponseSchema.parse(created);
    expect(approval.agentId).toBe(agent.id);
    const refused = async (method: string, path: string, key: string, body: unknown, code: number) =>
      expect((await api.call(method, path, key, body)).status).toBe(code);
    await refused("POST", `/api/approvals/${approval.id}/approve`, token.key, {}, 403);
    await refused("POST", "/api/approvals", token.key, { title: "x", agentId: other.id }, 403);
    await refused("POST", "/api/approvals", api.keys.read, { title: "x" }, 403);
    await refused("POST", "/api/approvals", api.keys.write, { title: "" }, 400);
    await refused("POST", "/api/approvals", api.keys.write, { title: "x", timeoutSeconds: 0 }, 400);
    await refused("POST", "/api/approvals", api.keys.write, { title: "x", extra: 1 }, 400);
    await refused(
      "POST",
      "/api/approvals",
      api.keys.write,
      { title: "x", agentId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" },
      404,
    );
    await refused("POST", "/api/approvals/01ARZ3NDEKTSV4RRFFQ69G5FAV/approve", api.keys.write, {}, 404);
    // A question about nobody in particular, answered through the long poll.
    const [, free] = await api.json("POST", "/api/approvals", api.keys.write, { title: "rotate keys?" });
    const id = (free as ApprovalResponse).id;
    const polled = api.json("GET", `/api/approvals/${id}?wait=5`, api.keys.read);
    await Bun.sleep(100);
    await api.json("POST", `/api/approvals/${id}/approve`, api.keys.admin, {});
    const [, seen] = await polled;
    expect(seen).toMatchObject({ status: "approved", agentId: null });
    await api.json("DELETE", `/api/agents/${agent.id}`, api.keys.write);
    await s.waitFor(agent.id);
    await refused("POST", "/api/approvals", api.keys.write, { title: "late", agentId: agent.id }, 409);
  });
});
