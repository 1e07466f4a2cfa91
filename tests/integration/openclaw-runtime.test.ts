/**
 * The `openclaw` runtime end to end against the stand-in gateway (tests/fake-openclaw.ts): real
 * agents (the dash binary under the shim) hold sessions on it through a real Dash server. The real
 * gateway is in openclaw-gateway.test.ts; here the error paths and timings are exact.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentRecord } from "../../src/domain/agent.ts";
import type { RuntimePreset } from "../../src/runtimes/presets.ts";
import { serverWithAgents } from "../agents-helpers.ts";
import { costOf, fakeOpenClaw } from "../fake-openclaw.ts";
import { until } from "../helpers.ts";

const TOKEN = "gateway-token-for-tests";
const gateway = fakeOpenClaw({ token: TOKEN });
const dying = fakeOpenClaw({ token: TOKEN });
const preset = (patch: Partial<RuntimePreset>) =>
  ({
    kind: "openclaw",
    gatewayUrl: gateway.url,
    env: { OPENCLAW_GATEWAY_TOKEN: TOKEN },
    ...patch,
  }) as RuntimePreset;
const { s } = await serverWithAgents({
  presets: {
    claw: preset({}),
    "claw-wrong-token": preset({ env: { OPENCLAW_GATEWAY_TOKEN: "not-the-token" } }),
    "claw-down": preset({ gatewayUrl: "ws://127.0.0.1:9", reconnectForMs: 300 }),
    "claw-dying": preset({ gatewayUrl: dying.url, reconnectForMs: 500 }),
  },
});
afterAll(() => gateway.stop());

async function start(runtime: string, task: string, maxRetries = 0): Promise<string> {
  const { swarm, agents } = await s.t.lifecycle.createSwarm({
    name: `claw-${Math.random().toString(36).slice(2, 8)}`,
    task,
    initialAgents: 1,
    config: { runtime, maxRetries },
  });
  await s.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  return agents[0]?.id as string;
}
const runsOf = (id: string) =>
  [...gateway.runs.values()].filter((r) => r.sessionKey === `agent:main:dash-${id}`);
const logOf = (agent: AgentRecord) => readFileSync(join(s.t.dir, "runs", agent.id, "output.log"), "utf8");
const message = (agent: AgentRecord) => (agent.error as { message?: string } | null)?.message ?? "";

test("an agent is a session: it completes with the reply, and the tokens and cost the gateway priced", async () => {
  const id = await start("claw", "TASK: write the plan");
  const agent = await s.waitFor(id);
  expect(agent.status).toBe("completed");
  expect(agent.result).toBe("done: TASK: write the plan");
  expect(agent.sessionId).toBe(`agent:main:dash-${id}`);
  const [run] = runsOf(id);
  if (!run) throw new Error("the gateway saw no run");
  expect(runsOf(id)).toHaveLength(1);
  expect([agent.promptTokens, agent.completionTokens]).toEqual([run.input, run.output]);
  expect(agent.costMicros).toBe(Math.round(costOf(run?.input ?? 0, run?.output ?? 0) * 1e6));
  expect([agent.progressCurrent, agent.progressTotal]).toEqual([1, 1]);
});

test("kill aborts the session's run in the gateway; nothing is left running", async () => {
  const id = await start("claw", "TASK: SLOW kill me");
  await until(() => runsOf(id).length === 1 && runsOf(id)[0]?.status === "running");
  await s.t.lifecycle.moveAgent(id, { to: "killed" });
  const agent = await s.waitFor(id);
  expect(agent.status).toBe("killed");
  await until(() => runsOf(id)[0]?.status !== "running");
  expect([runsOf(id)[0]?.status, runsOf(id)[0]?.stopReason]).toEqual(["error", "rpc"]);
});

test("pause aborts the run, resume sends a continuation the agent follows to the end", async () => {
  const id = await start("claw", "TASK: SLOW pause me");
  await until(() => runsOf(id)[0]?.status === "running");
  await s.t.lifecycle.moveAgent(id, { to: "paused" });
  await until(() => runsOf(id)[0]?.status === "error");
  expect(runsOf(id)).toHaveLength(1);
  await s.t.lifecycle.moveAgent(id, { to: "running" });
  const agent = await s.waitFor(id, ["completed", "failed", "killed"], 20_000);
  expect(agent.status).toBe("completed");
  const [aborted, continued] = runsOf(id);
  expect(aborted?.stopReason).toBe("rpc");
  expect(continued?.message).toContain("Continue the task");
  // The aborted run costs nothing in OpenClaw; the continuation is what was paid for.
  expect(agent.costMicros).toBe(Math.round(costOf(continued?.input ?? 0, continued?.output ?? 0) * 1e6));
  expect(logOf(agent)).toContain("the run was paused; its continuation is");
});

test("an agent whose process was lost while Dash was down follows the same run: it never runs twice", async () => {
  const id = await start("claw", "TASK: SLOW lose my process", 1);
  await until(() => runsOf(id)[0]?.status === "running");
  const { pid } = (await s.t.store.getAgent(id)) as AgentRecord;
  await s.stopFollowing();
  process.kill(-(pid as number), "SIGKILL");
  await s.startAgain();
  // Failed (lost, to be retried), then its retry follows the run to the end.
  const agent = await s.waitFor(id, ["completed"], 20_000);
  expect(agent.retryCount).toBe(1);
  expect(runsOf(id)).toHaveLength(1);
  expect(gateway.started.filter((r) => r.startsWith(`dash-${id}`))).toHaveLength(1);
  const [run] = runsOf(id);
  expect(agent.costMicros).toBe(Math.round(costOf(run?.input ?? 0, run?.output ?? 0) * 1e6));
  expect(logOf(agent)).toContain("started by an earlier attempt");
});

test("a child (tree strategy) is a session under its parent's", async () => {
  const root = await start("claw", "TASK: SLOW the parent");
  const { swarmId } = (await s.t.store.getAgent(root)) as AgentRecord;
  const child = await s.t.lifecycle.spawnAgent({ swarmId, task: "TASK: the child", parentId: root });
  expect((await s.waitFor(child.id)).status).toBe("completed");
  expect(gateway.parents.get(`agent:main:dash-${child.id}`)).toBe(`agent:main:dash-${root}`);
  expect(gateway.parents.has(`agent:main:dash-${root}`)).toBe(false);
  await s.t.lifecycle.moveAgent(root, { to: "killed" });
});

test("a wrong token fails the agent with what to set; the server goes on", async () => {
  const agent = await s.waitFor(await start("claw-wrong-token", "TASK: wrong token"));
  expect(agent.status).toBe("failed");
  expect(message(agent)).toContain("refused the token (AUTH_TOKEN_MISMATCH)");
  expect(message(agent)).toContain("OPENCLAW_GATEWAY_TOKEN");
});

test("no gateway answering fails the agent naming the address", async () => {
  const agent = await s.waitFor(await start("claw-down", "TASK: nobody there"));
  expect(agent.status).toBe("failed");
  expect(message(agent)).toContain("no OpenClaw gateway answers at ws://127.0.0.1:9");
});

test("a gateway that dies mid-run fails the agent once it stays away; Dash goes on serving", async () => {
  const id = await start("claw-dying", "TASK: SLOW the gateway dies");
  await until(() => [...dying.runs.values()].some((r) => r.status === "running"));
  dying.stop();
  const agent = await s.waitFor(id);
  expect(agent.status).toBe("failed");
  expect(message(agent)).toMatch(/OpenClaw: .*(gave up)/);
  const after = await s.waitFor(await start("claw", "TASK: still serving"));
  expect(after.status).toBe("completed");
});
