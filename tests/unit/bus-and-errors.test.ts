import { describe, expect, test } from "bun:test";
import { EventBus } from "../../src/bus/bus.ts";
import { startRetention } from "../../src/core/retention.ts";
import {
  ConcurrencyConflictError,
  DashError,
  InvalidTransitionError,
  notFound,
} from "../../src/domain/errors.ts";
import type { EventRecord } from "../../src/domain/event.ts";
import { fromUnits, toUnits, usdToMicros } from "../../src/domain/money.ts";
import type { Store } from "../../src/storage/store.ts";

const event = (id: string): EventRecord => ({
  id,
  timestamp: 0,
  type: "system.error",
  source: "system",
  data: {},
});

describe("event bus", () => {
  test("a throwing listener is reported and the others still receive every event in order", () => {
    const errors: unknown[] = [];
    const bus = new EventBus((e) => errors.push(e));
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error("bad listener");
    });
    const off = bus.subscribe((e) => seen.push(e.id));
    bus.publish([event("1"), event("2")]);
    expect(seen).toEqual(["1", "2"]);
    expect(errors.length).toBe(2);
    off();
    bus.publish([event("3")]);
    expect(seen).toEqual(["1", "2"]);
    expect(bus.size).toBe(1);
  });
});

describe("errors", () => {
  test("each code maps to its HTTP status and the PRD envelope", async () => {
    const conflict = new ConcurrencyConflictError("agent", "A", 1, 2);
    expect(conflict.status).toBe(409);
    expect(conflict.code).toBe("CONFLICT");
    expect(new InvalidTransitionError("agent", "A", "idle", "running").status).toBe(409);
    const missing = notFound("swarm", "S");
    expect(missing.status).toBe(404);
    expect(await missing.getResponse().json()).toEqual({
      error: { code: "NOT_FOUND", message: "swarm S not found", details: { entity: "swarm", id: "S" } },
    });
    expect(new DashError("BUDGET_EXCEEDED", "over").toJSON()).toEqual({
      error: { code: "BUDGET_EXCEEDED", message: "over" },
    });
    expect(new DashError("BUDGET_EXCEEDED", "over").status).toBe(403);
  });
});

describe("money", () => {
  test("dollars become integer micro-dollars and back; tokens stay whole", () => {
    expect(usdToMicros(0.1) * 3).toBe(usdToMicros(0.3));
    expect(toUnits(50.23, "USD")).toBe(50_230_000);
    expect(fromUnits(50_230_000, "USD")).toBe(50.23);
    expect(toUnits(12.6, "tokens")).toBe(13);
    expect(() => toUnits(Number.NaN, "USD")).toThrow(RangeError);
    expect(() => toUnits(-1, "USD")).toThrow(RangeError);
  });
});

describe("retention timer", () => {
  test("runs at once, reports errors, and stops", async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const store = {
      pruneEvents: async () => {
        calls++;
        throw new Error("locked");
      },
    } as unknown as Store;
    const job = startRetention(store, { retentionDays: 1, retentionMaxRows: 10 }, (e) => errors.push(e), 5);
    await Bun.sleep(30);
    job.stop();
    const after = calls;
    await Bun.sleep(20);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBe(after);
    expect(errors.length).toBe(calls);
  });
});
