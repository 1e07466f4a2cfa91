/**
 * The `openclaw` runtime against the REAL OpenClaw gateway (openclaw@2026.9.6 on Node 26, pinned
 * in tests/openclaw and installed by `npm test`), with a fake text-only model, inside a network
 * namespace with only loopback. tests/openclaw/world.ts runs the scenarios through `dash serve`;
 * this file checks what Dash recorded against what the gateway itself says.
 */
import { beforeAll, expect, test } from "bun:test";
import type { AgentResponse } from "../../src/domain/agent.ts";
import { runWorldOffline } from "../helpers.ts";

interface Side {
  agent: AgentResponse;
  gateway: {
    status?: string;
    abortedLastRun?: boolean;
    userMessages: number;
    promptTokens: number;
    completionTokens: number;
    costMicros: number;
  };
  prompts?: number;
}
let world: Record<string, unknown> = {};
const side = (name: string) => world[name] as Side;
const failed = (name: string) => world[name] as AgentResponse;
const micros = (agent: AgentResponse) => Math.round(agent.cost.amount * 1e6);

beforeAll(async () => {
  world = await runWorldOffline("tests/openclaw/world.ts", "OpenClaw");
  if (world.error) throw new Error(`the OpenClaw world failed: ${world.error}`);
  console.log(`gateway ready in ${world.gatewayReadyMs} ms, ${world.gatewayRssMiB} MiB`);
}, 300_000);

/** Dash's record of the agent equals the gateway's own usage and cost for its session. */
function matchesGateway({ agent, gateway }: Side) {
  expect([agent.cost.promptTokens, agent.cost.completionTokens]).toEqual([
    gateway.promptTokens,
    gateway.completionTokens,
  ]);
  expect(micros(agent)).toBe(gateway.costMicros);
}

test("an agent is a session: it completes with the usage and cost the gateway reports", () => {
  const done = side("completed");
  expect(done.agent.status).toBe("completed");
  expect(done.agent.result).toBe("Hello from the fake.");
  expect(done.agent.sessionId).toBe(`agent:main:dash-${done.agent.id.toLowerCase()}`);
  expect(done.gateway.costMicros).toBeGreaterThan(0);
  matchesGateway(done);
});

test("a child of the tree strategy is a session under its parent's", () => {
  const tree = world.tree as {
    parent: string;
    child: AgentResponse;
    childSession: { parentSessionKey?: string };
  };
  expect({ status: tree.child.status, error: tree.child.error }).toEqual({
    status: "completed",
    error: null,
  });
  expect(tree.childSession.parentSessionKey).toBe(`agent:main:dash-${tree.parent.toLowerCase()}`);
});

test("killed mid-run: the gateway shows the run aborted", () => {
  const { agent, gateway } = side("killed");
  expect(agent.status).toBe("killed");
  expect([gateway.status, gateway.abortedLastRun]).toEqual(["killed", true]);
});

test("paused mid-run and resumed: a continuation in the same session completes, paid as the gateway says", () => {
  const paused = side("paused");
  expect(paused.agent.status).toBe("completed");
  expect(paused.gateway.userMessages).toBe(2);
  matchesGateway(paused);
});

test("kill -9 of Dash during a run: after the restart the agent completes once, with the gateway's cost", () => {
  const crash = side("crash");
  expect(crash.agent.status).toBe("completed");
  expect(crash.agent.retryCount).toBe(0);
  expect(crash.gateway.userMessages).toBe(1);
  expect(crash.prompts).toBe(1);
  expect(crash.gateway.costMicros).toBeGreaterThan(0);
  matchesGateway(crash);
});

test("a wrong token, no gateway, a gateway that dies mid-run: the agent fails saying why; Dash goes on", () => {
  const why = (name: string) => (failed(name).error as { message: string }).message;
  expect(failed("wrongToken").status).toBe("failed");
  expect(why("wrongToken")).toContain("refused the token (AUTH_TOKEN_MISMATCH)");
  expect(failed("down").status).toBe("failed");
  expect(why("down")).toContain("no OpenClaw gateway answers at ws://127.0.0.1:9");
  expect(failed("gatewayDied").status).toBe("failed");
  expect(why("gatewayDied")).toMatch(/no OpenClaw gateway answers at .*gave up/);
  expect(world.serving).toBe("ok");
});
