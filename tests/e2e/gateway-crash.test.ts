/**
 * Issue 23, acceptance 4, with the compiled binary and the REAL Claude Code CLI as the agent:
 * `kill -9` of `dash serve` while a model call streams through its gateway. While the server is
 * down the call is open and holds its reservation; the restarted server closes it as lost and
 * releases what it held (no budget locked for good); the CLI retries by itself, and its retry
 * goes through the gateway again (the operator's key upstream, a new call settled), and the agent
 * completes. It all runs in a network namespace with only loopback (gateway-crash-world.ts).
 */
import { beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runWorldOffline } from "../helpers.ts";
import { compiledDash } from "./compiled.ts";
import type { GatewayCrashFacts } from "./gateway-crash-world.ts";
import { OPERATOR_KEY } from "./hang-once-provider.ts";

let facts: GatewayCrashFacts;

beforeAll(async () => {
  if (!existsSync(join(ROOT, "tests", "agent-clis", "node_modules", ".bin", "claude"))) {
    throw new Error(
      "claude is not installed: run `npm install --prefix tests/agent-clis` (npm test does it)",
    );
  }
  const bin = await compiledDash();
  facts = await runWorldOffline<GatewayCrashFacts>(
    `tests/e2e/gateway-crash-world.ts ${bin}`,
    "gateway crash",
  );
}, 180_000);

test("while the server is down, the cut call is open and its reservation is held", () => {
  const { calls, reserved, spent } = facts.whileDown;
  expect(calls.map((c) => c.status)).toEqual(["open"]);
  expect(calls[0]?.reservedUnits).toBeGreaterThan(0);
  expect(reserved).toBe(calls[0]?.reservedUnits as number);
  expect(spent).toBe(0);
});

test("on restart the call is lost, its reservation released: the budget holds nothing for it", () => {
  const [lost, ...later] = facts.afterRestart.calls;
  expect(lost?.id).toBe(facts.whileDown.calls[0]?.id as string);
  expect(lost).toMatchObject({ status: "lost", reservedUnits: 0, costMicros: 0 });
  expect(lost?.error).toContain("the server stopped while the call was in flight");
  // Only a retry that already came in through the new server may hold anything now.
  const opened = later.filter((c) => c.status === "open").reduce((n, c) => n + c.reservedUnits, 0);
  expect(facts.afterRestart.reserved).toBe(opened);
  expect(facts.restartLog).toContain("released the reservations of gateway calls cut by a restart");
  expect(facts.atEnd.reserved).toBe(0);
});

test("the CLI retried by itself, through the gateway again, and the agent completed", () => {
  const [hung, ...retries] = facts.requests;
  expect(hung).toMatchObject({ hung: true, key: OPERATOR_KEY });
  // Every later request reached the provider after the first server was dead: via the new one.
  expect(retries.length).toBeGreaterThanOrEqual(1);
  for (const r of retries) {
    expect(r.key).toBe(OPERATOR_KEY);
    expect(r.at).toBeGreaterThan(facts.killedAt);
  }
  // Each request the provider saw is a call the gateway recorded: the lost one, then settled ones.
  const [lost, ...after] = facts.atEnd.calls;
  expect(lost?.status).toBe("lost");
  expect(after.map((c) => c.status)).toEqual(retries.map(() => "settled"));
  expect(after.every((c) => c.costMicros > 0 && c.reservedUnits === 0)).toBe(true);
  // The CLI's own retry (Dash did not start it again), printed on its stream.
  expect(facts.log).toContain('"subtype":"api_retry"');
  expect(facts.agent).toMatchObject({ status: "completed", retryCount: 0, error: null });
  expect(String(facts.agent.result)).toContain("done: say hello");
  // Spend is what the settled calls cost, on the agent and on the budget alike.
  const settled = after.reduce((n, c) => n + c.costMicros, 0);
  expect(facts.atEnd.spent).toBe(settled);
  expect(facts.agent.costMicros).toBe(settled);
  expect(facts.log).not.toContain(OPERATOR_KEY);
});
