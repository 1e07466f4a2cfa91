/**
 * The four strategies end to end: real agent processes (tests/fixtures/strategy-agent.ts) under the
 * real scheduler, a real server for the tree's API calls, the conductor moving each swarm along.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { AgentRecord } from "../../src/domain/agent.ts";
import type { CreateSwarmInput, SwarmRecord } from "../../src/domain/swarm.ts";
import { serverWithAgents } from "../agents-helpers.ts";
import { ROOT, until } from "../helpers.ts";

const { s } = await serverWithAgents();

const AGENT = [process.execPath, join(ROOT, "tests", "fixtures", "strategy-agent.ts"), "{task}", "{input}"];

/** Creates and starts a swarm of the fixture agent, waits until it has finished. */
async function run(
  input: Omit<CreateSwarmInput, "name">,
): Promise<{ swarm: SwarmRecord; agents: AgentRecord[] }> {
  const created = await s.t.lifecycle.createSwarm({
    name: `st-${Math.random().toString(36).slice(2, 7)}`,
    ...input,
    config: { command: AGENT, ...input.config },
  });
  const id = created.swarm.id;
  await s.t.lifecycle.moveSwarm(id, { to: "active" });
  await until(
    async () => ["completed", "failed"].includes((await s.t.store.getSwarm(id))?.status ?? ""),
    30_000,
  );
  return {
    swarm: (await s.t.store.getSwarm(id)) as SwarmRecord,
    agents: await s.t.store.listAgents({ swarmId: id }),
  };
}

const ended = (swarmId: string) =>
  s.t.published.filter((e) => e.source === swarmId && e.type.startsWith("swarm."));

describe("parallel", () => {
  test("one agent per input, each with its own {input}; the result is theirs in order", async () => {
    const { swarm, agents } = await run({ task: "append:done", inputs: ["a", "b", "c"] });
    expect(swarm.status).toBe("completed");
    expect(agents.map((a) => [a.role, a.input, a.status])).toEqual([
      ["worker", "a", "completed"],
      ["worker", "b", "completed"],
      ["worker", "c", "completed"],
    ]);
    expect(swarm.result).toEqual({
      value: ["a-done", "b-done", "c-done"],
      outcome: { completed: 3, failed: 0, killed: 0, failures: [] },
    });
    expect(ended(swarm.id).map((e) => e.type)).toEqual(["swarm.created", "swarm.started", "swarm.completed"]);
  });

  test("continue: a failure does not stop the others, and the swarm reports it and fails", async () => {
    const { swarm, agents } = await run({ task: "fail", initialAgents: 2, config: { maxRetries: 0 } });
    expect(agents.map((a) => a.status)).toEqual(["failed", "failed"]);
    expect(swarm.status).toBe("failed");
    expect((swarm.result as { outcome: { failures: unknown[] } }).outcome.failures).toHaveLength(2);
  });
});

describe("map-reduce", () => {
  test("the mappers' results reach the reducer in mapper order, and its result is the swarm's", async () => {
    const { swarm, agents } = await run({
      strategy: "map-reduce",
      task: "square",
      reduceTask: "sum",
      inputs: [1, 2, 3, 4],
    });
    expect(swarm.status).toBe("completed");
    const reducer = agents.find((a) => a.role === "reducer") as AgentRecord;
    expect(reducer.input).toBe("[1,4,9,16]");
    expect(reducer.createdAt).toBeGreaterThanOrEqual(
      Math.max(...agents.filter((a) => a.role === "mapper").map((a) => a.completedAt ?? 0)),
    );
    expect(swarm.result).toMatchObject({ value: 30 });
  });

  test("fewer mappers than inputs: each gets a JSON array slice", async () => {
    const { agents } = await run({
      strategy: "map-reduce",
      task: "sum",
      reduceTask: "sum",
      inputs: [1, 2, 3, 4, 5],
      initialAgents: 2,
    });
    expect(agents.filter((a) => a.role === "mapper").map((a) => a.input)).toEqual(["[1,2,3]", "[4,5]"]);
    expect(agents.find((a) => a.role === "reducer")?.result).toBe(15);
  });

  test("fail-fast: a mapper that fails stops the rest, no reducer runs, the swarm fails", async () => {
    const { swarm, agents } = await run({
      strategy: "map-reduce",
      task: "fail",
      inputs: [1, 2],
      config: { failurePolicy: "fail-fast", maxRetries: 0 },
    });
    expect(swarm.status).toBe("failed");
    expect(agents.some((a) => a.role === "reducer")).toBe(false);
    expect(ended(swarm.id).at(-1)?.data.reason).toMatch(/^fail-fast: agent .* failed$/);
  });
});

describe("pipeline", () => {
  test("each stage starts with the previous stage's result, in order", async () => {
    const { swarm, agents } = await run({
      strategy: "pipeline",
      task: "unused",
      inputs: ["start"],
      stages: [{ task: "append:a" }, { task: "append:b", name: "second" }, { task: "append:c" }],
    });
    expect(swarm.status).toBe("completed");
    expect(agents.map((a) => [a.position, a.name.replace(/^st-\w+-/, ""), a.input, a.result])).toEqual([
      [0, "stage-1", "start", "start-a"],
      [1, "second", "start-a", "start-a-b"],
      [2, "stage-3", "start-a-b", "start-a-b-c"],
    ]);
    for (let i = 1; i < agents.length; i++) {
      expect(agents[i]?.createdAt).toBeGreaterThanOrEqual(agents[i - 1]?.completedAt ?? Infinity);
    }
    expect(swarm.result).toMatchObject({ value: "start-a-b-c" });
  });

  test("a stage that fails for good ends the pipeline there", async () => {
    const { swarm, agents } = await run({
      strategy: "pipeline",
      task: "unused",
      stages: [{ task: "append:a" }, { task: "fail" }, { task: "append:c" }],
      config: { maxRetries: 0 },
    });
    expect(swarm.status).toBe("failed");
    expect(agents.map((a) => a.status)).toEqual(["completed", "failed"]);
  });
});

describe("tree", () => {
  test("the root spawns children with its token; they carry parentId; maxChildren and maxDepth refuse the rest", async () => {
    const { swarm, agents } = await run({
      strategy: "tree",
      task: "spawn:3:spawn:1:leaf",
      config: { maxChildren: 2, maxDepth: 1 },
    });
    const root = agents.find((a) => a.role === "root") as AgentRecord;
    const children = agents.filter((a) => a.role === "child");
    expect(children.map((c) => c.parentId)).toEqual([root.id, root.id]);
    expect(root.result).toEqual({
      statuses: [201, 201, 400],
      refused: `agent ${root.id} already has 2 children (the swarm's maxChildren is 2)`,
    });
    // Each child tried a grandchild: one level too deep.
    for (const child of children) {
      expect(child.result).toEqual({
        statuses: [400],
        refused: `agent ${child.id} is at depth 1: a child would pass the swarm's maxDepth of 1`,
      });
    }
    expect(swarm.status).toBe("completed");
    expect(agents).toHaveLength(3);
  });
});
