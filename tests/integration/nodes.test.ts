import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NodeWatch, nodeIdOf } from "../../src/core/node-watch.ts";
import { newId } from "../../src/domain/ids.ts";
import { createLogger } from "../../src/log.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { sh, testScheduler } from "../agents-helpers.ts";
import { tempHome, until } from "../helpers.ts";

/**
 * Agents of a node that stopped beating are taken over (issue 26), and a node whose agent was
 * taken over stops its process: real schedulers, real processes, one real store (SQLite here;
 * PostgreSQL in the second pass of `npm test`). "Node B" is a row whose heartbeat is old, owning
 * an agent with no process anywhere: exactly what a `kill -9`ed machine leaves.
 */

const NODE_A = newId();
const log = createLogger("error", {});
let s: Awaited<ReturnType<typeof testScheduler>>;
let watch: NodeWatch;

beforeAll(async () => {
  s = await testScheduler({ nodeId: NODE_A });
  watch = new NodeWatch(
    s.t.lifecycle,
    s.scheduler,
    { id: NODE_A, url: null, version: "test" },
    { heartbeatMs: 60_000, leaseMs: 1000 },
    log,
  );
  await watch.start();
});
afterAll(async () => {
  await watch.stop();
  await s.close();
});

/** A node's row with a heartbeat `ageMs` old. */
const nodeRow = (id: string, ageMs: number) =>
  s.t.store.heartbeatNode({
    id,
    name: "gone-host",
    url: null,
    version: "test",
    startedAt: 0,
    heartbeatAt: Date.now() - ageMs,
  });

/** An agent of `swarm` as node `owner` left it: running, with a pid that is nobody's. */
async function runningOn(owner: string, command: string[], maxRetries: number) {
  const { agents } = await s.t.lifecycle.createSwarm({
    name: `n-${Math.random().toString(36).slice(2, 8)}`,
    task: "t",
    config: { command, maxRetries },
  });
  const id = agents[0]?.id as string;
  await s.t.lifecycle.startAgent(id, { to: "spawning", run: { nodeId: owner } });
  await s.t.lifecycle.moveAgent(id, {
    to: "running",
    run: { pid: 999_999, exitCode: null, sandbox: "off", nodeId: owner },
  });
  return id;
}

describe("several nodes on one store", () => {
  test("this node beats; the nodes list says who runs what", async () => {
    const nodes = await s.t.store.listNodes();
    expect(nodes.find((n) => n.id === NODE_A)).toMatchObject({ version: "test", liveAgents: 0 });
  });

  test("a lost node's agent with retries left is failed node-lost, then retried and completed here", async () => {
    const nodeB = newId();
    await nodeRow(nodeB, 60_000);
    const id = await runningOn(nodeB, sh("echo done"), 1);
    expect((await s.t.store.listNodes()).find((n) => n.id === nodeB)?.liveAgents).toBe(1);
    await watch.tick();
    const done = await s.waitFor(id, ["completed"]);
    expect(done.nodeId).toBe(NODE_A);
    expect(done.retryCount).toBe(1);
    const lost = (await s.t.store.listEvents({ types: ["agent.failed"] })).find((e) => e.data.agentId === id);
    expect(lost?.data.error).toMatchObject({ reason: "node-lost", willRetry: true });
    expect(String((lost?.data.error as { message?: string } | undefined)?.message)).toContain(
      `its node gone-host (${nodeB})`,
    );
  });

  test("one with no retries left is failed node-lost for good: never left running with no process", async () => {
    const nodeC = newId();
    await nodeRow(nodeC, 60_000);
    const id = await runningOn(nodeC, sh("echo never"), 0);
    await watch.tick();
    const failed = await s.waitFor(id, ["failed"]);
    expect(failed.error).toMatchObject({ reason: "node-lost", willRetry: false });
    expect((await s.t.store.listNodes()).find((n) => n.id === nodeC)?.liveAgents).toBe(0);
  });

  test("a node within its lease keeps its agents", async () => {
    const nodeD = newId();
    await nodeRow(nodeD, 100);
    const id = await runningOn(nodeD, sh("echo x"), 1);
    await watch.tick();
    expect((await s.t.store.getAgent(id))?.status).toBe("running");
    await s.t.lifecycle.moveAgent(id, { to: "killed" });
  });

  test("two nodes claiming one lost agent: exactly one takes it", async () => {
    const nodeE = newId();
    await nodeRow(nodeE, 60_000);
    const other = new NodeWatch(
      s.t.lifecycle,
      s.scheduler,
      { id: newId(), url: null, version: "test" },
      { heartbeatMs: 60_000, leaseMs: 1000 },
      log,
    );
    const id = await runningOn(nodeE, sh("echo once"), 1);
    await Promise.all([watch.tick(), other.tick()]);
    await s.waitFor(id, ["completed"]);
    const failures = (await s.t.store.listEvents({ types: ["agent.failed"] })).filter(
      (e) => e.data.agentId === id,
    );
    expect(failures).toHaveLength(1);
  });

  test("this node's run taken over by another is stopped here, and nothing of it is settled here", async () => {
    const { agents } = await s.swarm(sh("trap '' TERM; while :; do sleep 0.05; done"), { maxRetries: 0 });
    const id = agents[0]?.id as string;
    const running = await s.waitFor(id, ["running"]);
    expect(running.nodeId).toBe(NODE_A);
    const pid = running.pid as number;
    // Another node decided this one was lost, and took the agent.
    await s.t.lifecycle.moveAgent(id, {
      to: "failed",
      error: { message: "taken over", reason: "node-lost", willRetry: false },
      run: { nodeId: newId(), pid: null },
    });
    await watch.tick();
    await until(() => !groupAlive(pid), 5000);
    expect(s.scheduler.keeper.get(id)).toBeUndefined();
    expect((await s.t.store.getAgent(id))?.error).toMatchObject({ message: "taken over" });
  });
});

test("a move made for a node that no longer owns the agent is refused in its transaction (fencing)", async () => {
  const owner = newId();
  const id = await runningOn(owner, sh("true"), 0);
  const before = await s.t.store.getAgent(id);
  const stale = s.t.lifecycle.moveAgent(id, { to: "completed", owner: newId() });
  await expect(stale).rejects.toMatchObject({ code: "CONFLICT" });
  expect(await s.t.store.getAgent(id)).toEqual(before);
  expect((await s.t.lifecycle.moveAgent(id, { to: "completed", owner })).status).toBe("completed");
});

test("a DASH_HOME keeps its node id across restarts; another home is another node", () => {
  const one = tempHome();
  const two = tempHome();
  try {
    const id = nodeIdOf(one.dir);
    expect(id).toMatch(/^[0-9A-Z]{26}$/);
    expect(nodeIdOf(one.dir)).toBe(id);
    expect(nodeIdOf(two.dir)).not.toBe(id);
  } finally {
    one.cleanup();
    two.cleanup();
  }
});
