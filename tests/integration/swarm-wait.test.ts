/**
 * `--wait` in-process (the e2e suite runs it in the compiled binary): the progress line, the wait
 * until the swarm finishes, and the final report; plus the create schema's strategy rules and the
 * workspace cleanup that waits for processes.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { finishedSwarm, progressLine, waitForSwarm } from "../../src/cli/wait-swarm.ts";
import { DashClient } from "../../src/client/client.ts";
import { removeWorkspaces } from "../../src/core/cleanup.ts";
import { CreateSwarmSchema } from "../../src/domain/swarm.ts";
import { createLogger } from "../../src/log.ts";
import { testServer } from "../api-helpers.ts";

const api = await testServer();
afterAll(() => api.close());
const client = new DashClient({ url: api.server.url.origin, key: api.keys.write } as never);

test("waitForSwarm draws progress until the swarm finishes, then reports its result and failures", async () => {
  const { swarm, agents } = await api.t.lifecycle.createSwarm({
    name: "waited",
    task: "t",
    initialAgents: 2,
  });
  await api.t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  const lines: string[] = [];
  const waiting = waitForSwarm(client, swarm.id, { quiet: false, everyMs: 20, write: (s) => lines.push(s) });
  const [a, b] = agents.map((x) => x.id) as [string, string];
  for (const id of [a, b]) {
    await api.t.lifecycle.moveAgent(id, { to: "spawning" });
    await api.t.lifecycle.moveAgent(id, { to: "running" });
  }
  await api.t.lifecycle.moveAgent(a, { to: "completed", result: 55 });
  await api.t.lifecycle.moveAgent(b, { to: "failed", error: { message: "boom" } });
  await api.t.lifecycle.advanceSwarm(swarm.id);
  const done = await waiting;
  expect(done.status).toBe("failed");
  expect(lines.at(-1)).toContain("2/2 agents done");
  expect(progressLine(done, await client.allAgents({ swarmId: swarm.id }))).toContain("100%");
  const report = finishedSwarm(done);
  expect(report).toContain("1 completed, 1 failed, 0 killed");
  expect(report).toContain("boom");
  expect(report).toContain("result:");
  const quiet: string[] = [];
  await waitForSwarm(client, swarm.id, { quiet: true, write: (s) => quiet.push(s) });
  expect(quiet).toEqual([]);
});

describe("the create schema's strategy rules", () => {
  const refused = (input: object) => {
    const r = CreateSwarmSchema.safeParse({ name: "x", task: "t", ...input });
    return r.success ? null : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  test("each strategy gets what it needs and nothing it does not", () => {
    expect(refused({ strategy: "pipeline" })).toEqual(["stages: a pipeline needs its stages"]);
    expect(refused({ stages: [{ task: "a" }] })).toEqual(["stages: stages are for the pipeline strategy"]);
    expect(refused({ strategy: "map-reduce" })).toEqual(["inputs: map-reduce needs inputs to split"]);
    expect(refused({ reduceTask: "sum" })).toEqual(["reduceTask: reduceTask is for map-reduce"]);
    expect(refused({ strategy: "tree", inputs: [1, 2] })).toEqual([
      "inputs: a tree takes at most one input (its first agent's)",
    ]);
    expect(refused({ inputs: [1, 2], initialAgents: 3 })).toEqual([
      "initialAgents: parallel runs one agent per input: 2, not 3",
    ]);
    expect(refused({ strategy: "map-reduce", inputs: [1], initialAgents: 2 })).toEqual([
      "initialAgents: 2 mappers for 1 inputs: at most one per input",
    ]);
    expect(
      refused({ strategy: "map-reduce", inputs: [1, 2], initialAgents: 1, reduceTask: "sum" }),
    ).toBeNull();
  });
});

test("a destroyed swarm's workspaces stay while one of its processes lives, and go once none does", async () => {
  const { swarm, agents } = await api.t.lifecycle.createSwarm({ name: "cleanup", task: "t" });
  const dir = join(api.t.dir, "workspaces", swarm.id, agents[0]?.id as string);
  mkdirSync(dir, { recursive: true });
  const sleeper = Bun.spawn(["sleep", "30"], { detached: true });
  await api.t.lifecycle.moveAgent(agents[0]?.id as string, { to: "spawning" });
  await api.t.lifecycle.moveAgent(agents[0]?.id as string, { to: "running", run: { pid: sleeper.pid } });
  const logged: string[] = [];
  const log = createLogger("debug", {}, (l) => logged.push(l));
  await removeWorkspaces(api.t.store, api.t.dir, swarm.id, 100, log);
  expect(existsSync(dir)).toBe(true);
  expect(logged.join("\n")).toContain("still has live processes");
  sleeper.kill("SIGKILL");
  await sleeper.exited;
  await removeWorkspaces(api.t.store, api.t.dir, swarm.id, 1000, log);
  expect(existsSync(dir)).toBe(false);
});
