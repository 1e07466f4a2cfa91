import { afterAll, describe, expect, test } from "bun:test";
import { agentEventType, swarmEventType } from "../../src/core/transitions.ts";
import { InvalidTransitionError } from "../../src/domain/errors.ts";
import {
  AGENT_STATUSES,
  type AgentStatus,
  canMoveAgent,
  canMoveSwarm,
  SWARM_STATUSES,
  type SwarmStatus,
} from "../../src/domain/states.ts";
import { testLifecycle } from "../helpers.ts";

const t = testLifecycle();
afterAll(() => t.close());

// How to bring a fresh (idle / creating) row into each state through allowed moves only.
const AGENT_PATH: Record<AgentStatus, AgentStatus[]> = {
  idle: [],
  spawning: ["spawning"],
  running: ["spawning", "running"],
  paused: ["spawning", "running", "paused"],
  completed: ["spawning", "running", "completed"],
  failed: ["spawning", "failed"],
  killed: ["killed"],
};
const SWARM_PATH: Record<SwarmStatus, SwarmStatus[]> = {
  creating: [],
  active: ["active"],
  paused: ["active", "paused"],
  completed: ["active", "completed"],
  failed: ["failed"],
  destroyed: ["destroyed"],
};

async function newSwarm() {
  return t.lifecycle.createSwarm({ name: "sm", task: "state machine", initialAgents: 1 });
}

describe("every agent (from, to) pair through the write path", () => {
  for (const from of AGENT_STATUSES) {
    for (const to of AGENT_STATUSES) {
      const allowed = canMoveAgent(from, to);
      test(`${from} -> ${to} is ${allowed ? "written with one event" : "refused, writes nothing, counted"}`, async () => {
        const { agents } = await newSwarm();
        const id = agents[0]?.id as string;
        for (const step of AGENT_PATH[from]) await t.lifecycle.moveAgent(id, { to: step });
        const before = await t.store.getAgent(id);
        const events = await t.countEvents();
        const published = t.published.length;
        const key = `agent:${from}->${to}`;
        const refusedBefore = t.lifecycle.refusedTransitions()[key] ?? 0;

        if (allowed) {
          const after = await t.lifecycle.moveAgent(id, { to, expectedVersion: before?.version });
          expect(after.status).toBe(to);
          expect(after.version).toBe((before?.version ?? 0) + 1);
          expect(await t.countEvents()).toBe(events + 1);
          const [event] = t.published.slice(published);
          expect(t.published.length).toBe(published + 1);
          expect(event?.type).toBe(agentEventType(from, to));
          expect(event?.data).toMatchObject({ agentId: id, status: to, previousStatus: from });
          expect((await t.store.listEvents()).at(-1)).toEqual(event as never);
        } else {
          await expect(t.lifecycle.moveAgent(id, { to })).rejects.toBeInstanceOf(InvalidTransitionError);
          expect(await t.store.getAgent(id)).toEqual(before);
          expect(await t.countEvents()).toBe(events);
          expect(t.published.length).toBe(published);
          expect(t.lifecycle.refusedTransitions()[key]).toBe(refusedBefore + 1);
        }
      });
    }
  }

  test("failed -> spawning is refused once retries are used up", async () => {
    const { swarm } = await t.lifecycle.createSwarm({
      name: "retries",
      task: "x",
      config: { maxRetries: 1 },
    });
    const [agent] = await t.store.listAgents({ swarmId: swarm.id });
    const id = agent?.id as string;
    for (const to of ["spawning", "failed", "spawning", "failed"] as const)
      await t.lifecycle.moveAgent(id, { to });
    expect((await t.store.getAgent(id))?.retryCount).toBe(1);
    const events = await t.countEvents();
    await expect(t.lifecycle.moveAgent(id, { to: "spawning" })).rejects.toThrow("no retries left (1/1)");
    expect(await t.countEvents()).toBe(events);
  });
});

describe("every swarm (from, to) pair through the write path", () => {
  for (const from of SWARM_STATUSES) {
    for (const to of SWARM_STATUSES) {
      const allowed = canMoveSwarm(from, to);
      test(`${from} -> ${to} is ${allowed ? "written with one event" : "refused, writes nothing, counted"}`, async () => {
        const { swarm } = await newSwarm();
        for (const step of SWARM_PATH[from]) await t.lifecycle.moveSwarm(swarm.id, { to: step });
        const before = await t.store.getSwarm(swarm.id);
        const events = await t.countEvents();
        const published = t.published.length;
        const key = `swarm:${from}->${to}`;
        const refusedBefore = t.lifecycle.refusedTransitions()[key] ?? 0;

        if (allowed) {
          const after = await t.lifecycle.moveSwarm(swarm.id, { to, expectedVersion: before?.version });
          expect(after.status).toBe(to);
          expect(await t.countEvents()).toBe(events + 1);
          expect(t.published.length).toBe(published + 1);
          expect(t.published.at(-1)?.type).toBe(swarmEventType(from, to));
        } else {
          await expect(t.lifecycle.moveSwarm(swarm.id, { to })).rejects.toBeInstanceOf(
            InvalidTransitionError,
          );
          expect(await t.store.getSwarm(swarm.id)).toEqual(before);
          expect(await t.countEvents()).toBe(events);
          expect(t.published.length).toBe(published);
          expect(t.lifecycle.refusedTransitions()[key]).toBe(refusedBefore + 1);
        }
      });
    }
  }
});
