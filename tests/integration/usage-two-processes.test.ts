import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { testLifecycle } from "../helpers.ts";

const t = testLifecycle();
afterAll(() => t.close());

type Sent = Record<string, { micros: number; prompt: number; completion: number; reports: number }>;

test("50 agents x 200 usage reports from 2 OS processes: costs, swarm spent and their sum agree exactly", async () => {
  const { swarm, agents } = await t.lifecycle.createSwarm({
    name: "usage",
    task: "spend",
    initialAgents: 50,
    budget: { amount: 1000 },
  });
  const ids = agents.map((a) => a.id).join(",");
  const writer = join(import.meta.dir, "../fixtures/usage-writer.ts");
  const children = [1, 2].map((seed) =>
    Bun.spawn(["bun", writer, t.dbPath, ids, "100", String(seed * 7919)], { stdout: "pipe", stderr: "pipe" }),
  );
  const results = await Promise.all(
    children.map(async (child) => {
      const [out, err, code] = await Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
        child.exited,
      ]);
      expect(err).toBe("");
      expect(code).toBe(0);
      return JSON.parse(out) as Sent;
    }),
  );

  let expectedTotal = 0;
  let agentSum = 0;
  for (const agent of agents) {
    const row = await t.store.getAgent(agent.id);
    const mine = results.map((r) => r[agent.id]);
    const micros = mine.reduce((s, m) => s + (m?.micros ?? 0), 0);
    expect(mine.reduce((s, m) => s + (m?.reports ?? 0), 0)).toBe(200);
    expect(row?.costMicros).toBe(micros);
    expect(row?.promptTokens).toBe(mine.reduce((s, m) => s + (m?.prompt ?? 0), 0));
    expect(row?.completionTokens).toBe(mine.reduce((s, m) => s + (m?.completion ?? 0), 0));
    expectedTotal += micros;
    agentSum += row?.costMicros ?? 0;
  }
  const budget = await t.store.getBudget("swarm", swarm.id);
  expect(budget?.spentUnits).toBe(agentSum);
  expect(agentSum).toBe(expectedTotal);
  expect(expectedTotal).toBeGreaterThan(0);

  const usageEvents = await t.store.listEvents({ types: ["agent.usage"] });
  expect(usageEvents.length).toBe(10_000);
  // Event ids sort in commit order across both processes: rowid order (insertion) = id order.
  const byRowid = t.store.db.query("SELECT id FROM events ORDER BY rowid").all() as { id: string }[];
  const byId = t.store.db.query("SELECT id FROM events ORDER BY id").all() as { id: string }[];
  expect(byRowid).toEqual(byId);
  expect(t.store.db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
});
