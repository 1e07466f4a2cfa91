import { describe, expect, test } from "bun:test";
import { AGENT_STATUSES, canMoveAgent, canMoveSwarm, SWARM_STATUSES } from "../../src/domain/states.ts";

// The machines written out once more, by hand, as DESIGN.md §3 states them: a change to the
// tables in states.ts must be made here too, on purpose.
const AGENT_ALLOWED = new Set([
  "idle>spawning",
  "idle>failed",
  "idle>killed",
  "spawning>running",
  "spawning>completed",
  "spawning>failed",
  "spawning>killed",
  "running>paused",
  "running>completed",
  "running>failed",
  "running>killed",
  "paused>running",
  "paused>completed",
  "paused>failed",
  "paused>killed",
  "failed>spawning",
  "failed>killed",
]);

const SWARM_ALLOWED = new Set([
  "creating>active",
  "creating>failed",
  "creating>destroyed",
  "active>paused",
  "active>completed",
  "active>failed",
  "active>destroyed",
  "paused>active",
  "paused>completed",
  "paused>failed",
  "paused>destroyed",
  "completed>destroyed",
  "failed>destroyed",
]);

describe("state machines", () => {
  for (const from of AGENT_STATUSES) {
    for (const to of AGENT_STATUSES) {
      test(`agent ${from} -> ${to}`, () => {
        expect(canMoveAgent(from, to)).toBe(AGENT_ALLOWED.has(`${from}>${to}`));
      });
    }
  }
  for (const from of SWARM_STATUSES) {
    for (const to of SWARM_STATUSES) {
      test(`swarm ${from} -> ${to}`, () => {
        expect(canMoveSwarm(from, to)).toBe(SWARM_ALLOWED.has(`${from}>${to}`));
      });
    }
  }
});
