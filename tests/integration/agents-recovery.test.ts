import { afterAll, expect, test } from "bun:test";
import { groupAlive } from "../../src/runtimes/process.ts";
import { line, sh, testScheduler } from "../agents-helpers.ts";

const s = await testScheduler();
afterAll(() => s.close());

const usage = (cost: number) => line({ dash: "usage", promptTokens: 10, completionTokens: 5, costUsd: cost });

test("after a restart: live agents are re-attached, ones that ended meanwhile are settled, lost ones retried; costs exact", async () => {
  // Each reports once, waits, reports again: the restart falls between the two reports.
  const slow = await s.swarm(
    sh(`${usage(0.001)}; sleep 1.2; ${usage(0.002)}; ${line({ dash: "result", result: "slow" })}`),
    {},
    3,
  );
  const quick = await s.swarm(sh(`${usage(0.004)}; sleep 0.3; ${usage(0.008)}`), {}, 1);
  const lost = await s.swarm(sh(`${usage(0.016)}; sleep 30`), { maxRetries: 1 }, 1);
  const ids = [...slow.agents, ...quick.agents, ...lost.agents].map((a) => a.id);
  for (const id of ids) {
    const end = Date.now() + 5000;
    while ((await s.t.store.getAgent(id))?.costMicros === 0 && Date.now() < end) await Bun.sleep(10);
  }

  await s.stopFollowing();
  const lostPid = (await s.t.store.getAgent(lost.agents[0]?.id as string))?.pid as number;
  process.kill(-lostPid, "SIGKILL"); // its whole group, shim included: no exit status is written
  await Bun.sleep(600); // the quick one ends while nobody follows it
  await s.startAgain();

  for (const agent of slow.agents) {
    const done = await s.waitFor(agent.id);
    expect(done.status).toBe("completed");
    expect(done.costMicros).toBe(3000);
    expect(done.result).toBe("slow");
    expect(done.retryCount).toBe(0); // ran once: re-attached, not restarted
  }
  const settled = await s.waitFor(quick.agents[0]?.id as string);
  expect([settled.status, settled.costMicros, settled.retryCount]).toEqual(["completed", 12_000, 0]);

  // The lost one: failed with the reason, then retried (its second run reports again).
  const lostId = lost.agents[0]?.id as string;
  const end = Date.now() + 5000;
  while ((await s.t.store.getAgent(lostId))?.retryCount !== 1 && Date.now() < end) await Bun.sleep(10);
  const retried = await s.waitFor(lostId, ["running"]);
  const failedEvent = s.t.published.find((e) => e.source === lostId && e.type === "agent.failed");
  expect(failedEvent?.data.error).toMatchObject({ reason: "lost", willRetry: true });
  expect(s.t.published.some((e) => e.source === lostId && e.type === "agent.retrying")).toBe(true);
  expect(groupAlive(lostPid)).toBe(false);
  await s.t.lifecycle.moveAgent(lostId, { to: "killed" });
  expect(retried.retryCount).toBe(1);

  const budget = await s.t.store.getBudget("swarm", slow.swarm.id);
  expect(budget?.spentUnits).toBe(9000);
}, 30_000);
