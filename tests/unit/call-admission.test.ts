import { describe, expect, test } from "bun:test";
import type { BudgetRecord } from "../../src/domain/budget.ts";
import { type CallAsk, grantCall, worstCase } from "../../src/safety/call-admission.ts";

const budget = (allocated: number, spent = 0, currency: "USD" | "tokens" = "USD"): BudgetRecord => ({
  id: `b${allocated}`,
  entityType: "swarm",
  entityId: "s",
  parentBudgetId: null,
  allocatedUnits: allocated,
  spentUnits: spent,
  currency,
  warningThreshold: 75,
  criticalThreshold: 90,
  hardStopThreshold: 100,
  warningAction: "notify",
  criticalAction: "pause",
  hardStopAction: "kill",
  createdAt: 0,
  updatedAt: 0,
  lastAlertAt: null,
  burnRate: null,
  projectedFinalUnits: null,
  stepUnits: null,
  alertLevel: 0,
  projectedAction: "notify",
  forecast: null,
  version: 1,
});

// claude-sonnet-4: $3 in, $15 out per million tokens = 3 and 15 micro-dollars a token.
const ask = (over: Partial<CallAsk> = {}): CallAsk => ({
  inputBound: 1000,
  requestedMaxTokens: 1000,
  floorTokens: 100,
  price: { input: 3, output: 15 },
  cacheWrite: false,
  ...over,
});

describe("call admission", () => {
  test("the worst case is the input bound at the dearest input rate plus the cap at the output rate", () => {
    expect(worstCase(budget(1e6), ask(), 1000)).toBe(3000 + 15_000);
    // Writing a prompt cache costs 1.25× input by default.
    expect(worstCase(budget(1e6), ask({ cacheWrite: true }), 1000)).toBe(3750 + 15_000);
    // A price with fractions is rounded up, never down.
    expect(worstCase(budget(1e6), ask({ price: { input: 1.25, output: 10 }, inputBound: 3 }), 0)).toBe(4);
    expect(worstCase(budget(1e6, 0, "tokens"), ask(), 500)).toBe(1500);
  });

  test("room for the whole call: admitted as asked, the worst case reserved", () => {
    expect(grantCall([{ budget: budget(100_000), reserved: 0 }], ask())).toEqual({
      kind: "admit",
      maxTokens: 1000,
      reserveUnits: 18_000,
    });
  });

  test("less room than the cap: the output is capped to exactly what fits", () => {
    const grant = grantCall([{ budget: budget(10_000, 1_000), reserved: 0 }], ask());
    // 9,000 left − 3,000 input = 6,000 → 400 tokens at 15.
    expect(grant).toEqual({ kind: "admit", maxTokens: 400, reserveUnits: 9_000 });
  });

  test("every budget of the chain bounds the call: the tightest one wins", () => {
    const chain = [
      { budget: budget(100_000), reserved: 0 },
      { budget: budget(7_500), reserved: 0 },
    ];
    expect(grantCall(chain, ask())).toMatchObject({ kind: "admit", maxTokens: 300, reserveUnits: 7_500 });
  });

  test("other calls' reservations in the way: wait, then take what is left or be refused", () => {
    const chain = [{ budget: budget(20_000), reserved: 15_000, inFlight: 15_000 }];
    expect(grantCall(chain, ask())).toEqual({ kind: "wait" });
    // At the deadline: 5,000 left − 3,000 input = 2,000 → 133 tokens ≥ the floor of 100.
    expect(grantCall(chain, ask(), true)).toMatchObject({ kind: "admit", maxTokens: 133 });
    expect(
      grantCall([{ budget: budget(20_000), reserved: 18_000, inFlight: 18_000 }], ask(), true),
    ).toMatchObject({
      kind: "refuse",
      message: "its room is held by calls in flight",
    });
  });

  test("other agents' step holds last their lives: capped or refused at once, never waited for", () => {
    // 20,000 − 15,000 held by other agents' steps = 5,000: 133 output tokens, no wait.
    const held = [{ budget: budget(20_000), reserved: 15_000, inFlight: 0 }];
    expect(grantCall(held, ask())).toMatchObject({ kind: "admit", maxTokens: 133 });
    const full = [{ budget: budget(20_000), reserved: 18_000, inFlight: 0 }];
    expect(grantCall(full, ask())).toMatchObject({
      kind: "refuse",
      message: expect.stringContaining("other agents hold 18000 units"),
    });
  });

  test("the agent's own step reservation does not stand in its own way", () => {
    const chain = [{ budget: budget(20_000), reserved: 2_500 }];
    expect(grantCall(chain, ask(), false, 2_500)).toMatchObject({ kind: "admit", maxTokens: 1000 });
  });

  test("spent: refused, naming the budget; below the floor is refused, not capped to nothing", () => {
    const full = budget(10_000, 9_000);
    expect(grantCall([{ budget: full, reserved: 0 }], ask())).toMatchObject({ kind: "refuse", budget: full });
    // 4,000 left: 1,000 input + 66 output tokens fit, under the floor of 100.
    expect(grantCall([{ budget: budget(4_000), reserved: 0 }], ask({ inputBound: 1000 }))).toMatchObject({
      kind: "refuse",
    });
    // A request that asks for fewer than the floor gets them when they fit.
    expect(
      grantCall([{ budget: budget(4_000), reserved: 0 }], ask({ requestedMaxTokens: 50 })),
    ).toMatchObject({
      kind: "admit",
      maxTokens: 50,
    });
  });

  test("a model without a price under a USD budget is refused; under a token budget it is bounded", () => {
    expect(grantCall([{ budget: budget(1e9), reserved: 0 }], ask({ price: null }))).toMatchObject({
      kind: "refuse",
      message: expect.stringContaining("no price"),
    });
    expect(grantCall([{ budget: budget(1500, 0, "tokens"), reserved: 0 }], ask({ price: null }))).toEqual({
      kind: "admit",
      maxTokens: 500,
      reserveUnits: 1500,
    });
  });

  test("whatever the numbers, an admitted call's worst case fits in every budget", () => {
    for (let i = 0; i < 2000; i++) {
      const allocated = Math.floor(Math.random() * 200_000);
      const spent = Math.floor(Math.random() * allocated);
      const reserved = Math.floor(Math.random() * (allocated - spent + 1));
      const inFlight = Math.floor(Math.random() * (reserved + 1));
      const a = ask({
        inputBound: 1 + Math.floor(Math.random() * 5000),
        requestedMaxTokens: 1 + Math.floor(Math.random() * 4000),
        price: { input: Math.random() * 5, output: Math.random() * 20 },
        cacheWrite: Math.random() < 0.5,
      });
      const b = budget(allocated, spent);
      const grant = grantCall([{ budget: b, reserved, inFlight }], a, Math.random() < 0.5);
      if (grant.kind !== "admit") continue;
      expect(grant.maxTokens).toBeLessThanOrEqual(a.requestedMaxTokens);
      expect(grant.reserveUnits).toBe(worstCase(b, a, grant.maxTokens));
      expect(spent + reserved + grant.reserveUnits).toBeLessThanOrEqual(allocated);
    }
  });
});
