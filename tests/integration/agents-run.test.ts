import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { groupAlive, processState } from "../../src/runtimes/process.ts";
import { line, sh, testScheduler } from "../agents-helpers.ts";
import { until } from "../helpers.ts";

const s = await testScheduler();
afterAll(() => s.close());

test("a command agent that reports progress and usage ends completed with exactly the reported cost", async () => {
  const script = [
    line({ dash: "progress", current: 1, total: 2 }),
    "echo plain log line",
    line({ dash: "usage", model: "m", promptTokens: 100, completionTokens: 50, costUsd: 0.0123 }),
    line({ dash: "progress", current: 2, total: 2 }),
    line({ dash: "usage", promptTokens: 7, completionTokens: 3, costUsd: 0.0077 }),
    line({ dash: "result", result: { answer: 42 } }),
  ].join("; ");
  const { swarm, agents } = await s.swarm(sh(script));
  const agent = await s.waitFor(agents[0]?.id as string);
  expect(agent.status).toBe("completed");
  expect(agent.costMicros).toBe(20_000);
  expect([agent.promptTokens, agent.completionTokens]).toEqual([107, 53]);
  expect([agent.progressCurrent, agent.progressTotal]).toEqual([2, 2]);
  expect(agent.result).toEqual({ answer: 42 });
  expect(agent.exitCode).toBe(0);
  expect((await s.t.store.getBudget("swarm", swarm.id))?.spentUnits).toBe(20_000);
  // Its DASH_AGENT_TOKEN ended with the attempt.
  const keys = (await s.t.store.listApiKeys()).filter((k) => k.name === `agent ${agent.id}`);
  expect(keys.map((k) => k.isActive)).toEqual([false]);
  const types = s.t.published.filter((e) => e.source === agent.id).map((e) => e.type);
  expect(types).toEqual([
    "agent.spawned",
    "agent.starting",
    "agent.started",
    "agent.progress",
    "agent.usage",
    "agent.progress",
    "agent.usage",
    "agent.completed",
  ]);
});

test("an agent that exits 1 is retried maxRetries times, then failed with its exit code and last lines", async () => {
  const { agents } = await s.swarm(sh("echo trying; echo oops >&2; exit 1"), { maxRetries: 2 });
  const id = agents[0]?.id as string;
  const agent = await s.waitFor(id, ["failed"]);
  // The failed move before the last retry is also "failed": wait for the final one.
  const final = agent.retryCount === 2 ? agent : await waitRetries(id);
  expect(final.retryCount).toBe(2);
  expect(final.exitCode).toBe(1);
  const error = final.error as { message: string; lastLines: string[]; willRetry: boolean };
  expect(error.message).toBe("the agent exited with code 1");
  expect(error.willRetry).toBe(false);
  expect(error.lastLines).toContain("oops");
  const retries = s.t.published.filter((e) => e.source === id && e.type === "agent.retrying");
  expect(retries).toHaveLength(2);
});

async function waitRetries(id: string) {
  for (;;) {
    const agent = await s.waitFor(id, ["failed"]);
    if (agent.retryCount === 2 && !(agent.error as { willRetry: boolean }).willRetry) return agent;
    await Bun.sleep(20);
  }
}

test("a command that does not exist fails at once with a clear error, without retries", async () => {
  const { agents } = await s.swarm(["dash-no-such-program-xyz", "{task}"], { maxRetries: 3 });
  const agent = await s.waitFor(agents[0]?.id as string);
  expect(agent.status).toBe("failed");
  expect(agent.retryCount).toBe(0);
  expect((agent.error as { message: string }).message).toContain(
    "dash-no-such-program-xyz: command not found",
  );
});

test("an agent past its timeout is killed and failed with reason timeout", async () => {
  const { agents } = await s.swarm(sh("echo started; sleep 30"), { timeout: 1000, maxRetries: 3 });
  const agent = await s.waitFor(agents[0]?.id as string);
  expect(agent.status).toBe("failed");
  expect(agent.error).toMatchObject({ reason: "timeout", willRetry: false });
  expect(agent.retryCount).toBe(0);
  const started = s.t.published.find((e) => e.source === agent.id && e.type === "agent.started");
  expect(started).toBeDefined();
});

test("pause stops the whole process group (state T), resume continues it, kill leaves no process", async () => {
  const { agents } = await s.swarm(sh("while true; do sleep 0.05; done"));
  const id = agents[0]?.id as string;
  const running = await s.waitFor(id, ["running"]);
  const pid = running.pid as number;
  expect(groupAlive(pid)).toBe(true);
  await s.t.lifecycle.moveAgent(id, { to: "paused" });
  await Bun.sleep(100);
  expect(processState(pid)).toBe("T");
  await s.t.lifecycle.moveAgent(id, { to: "running" });
  await Bun.sleep(100);
  expect(["S", "R"]).toContain(processState(pid) as string);
  await s.t.lifecycle.moveAgent(id, { to: "killed" });
  const end = Date.now() + 5000;
  while (groupAlive(pid) && Date.now() < end) await Bun.sleep(20);
  expect(groupAlive(pid)).toBe(false);
  expect((await s.t.store.getAgent(id))?.status).toBe("killed");
  // The shim was this process's child: gone once reaped, which Bun does on its next turn.
  while (existsSync(`/proc/${pid}`) && Date.now() < end) await Bun.sleep(20);
  expect(existsSync(`/proc/${pid}`)).toBe(false);
});

test("the demo runtime plays an agent through the report protocol: progress, usage, a result", async () => {
  const created = await s.t.lifecycle.createSwarm({
    name: "demo",
    task: "show me",
    initialAgents: 1,
    config: { runtime: "demo" } as never,
  });
  await s.t.lifecycle.moveSwarm(created.swarm.id, { to: "active" });
  const agent = await s.waitFor(created.agents[0]?.id as string, undefined, 30_000);
  expect(agent.status).toBe("completed");
  expect([agent.progressCurrent, agent.progressTotal]).toEqual([10, 10]);
  expect(agent.costMicros).toBeGreaterThan(0);
  expect(agent.result).toEqual({ demo: true, steps: 10 });
}, 40_000);

test("an agent that spends past its USD budget is stopped by the hard stop and not retried", async () => {
  const script = [
    line({ dash: "usage", promptTokens: 1, completionTokens: 1, costUsd: 0.02 }),
    "sleep 30",
  ].join("; ");
  const { swarm, agents } = await s.swarm(sh(script), { maxRetries: 1 }, 1, 0.01);
  const id = agents[0]?.id as string;
  const agent = await s.waitFor(id, ["killed"]);
  expect(agent.costMicros).toBe(20_000);
  expect(agent.retryCount).toBe(0);
  const types = s.t.published.filter((e) => e.source === swarm.id).map((e) => e.type);
  expect(types.filter((t) => t === "budget.exceeded")).toHaveLength(1);
  await until(async () => (await s.t.store.getSwarm(swarm.id))?.status === "failed");
  const ended = await s.t.store.getSwarm(swarm.id);
  expect(ended?.result).toMatchObject({ outcome: { killed: 1, completed: 0 } });
});

test("an idle agent queued behind more than a page of idle agents of a swarm not started still starts", async () => {
  // 100 idle agents first (a swarm still `creating`: not to be started), then one of an active swarm.
  await s.t.lifecycle.createSwarm({ name: "queued", task: "t", initialAgents: 100 });
  const { agents } = await s.swarm(sh("true"));
  const agent = await s.waitFor(agents[0]?.id as string);
  expect(agent.status).toBe("completed");
});
