import { describe, expect, test } from "bun:test";
import { decodeTime, isValid, ulid } from "ulid";
import { newId, nextEventId } from "../../src/domain/ids.ts";

// Ids are monotonic per process and every test file of a run shares the process: these tests never
// make an id from a time ahead of the clock, which would carry on into every id made after them.
describe("ids", () => {
  test("are valid ULIDs that carry their time", () => {
    const before = Date.now();
    const id = newId();
    expect(isValid(id)).toBe(true);
    expect(decodeTime(id)).toBeGreaterThanOrEqual(before);
    expect(decodeTime(id)).toBeLessThanOrEqual(Date.now());
  });

  test("sort in creation order within one millisecond and after the clock steps back", () => {
    const now = Date.now();
    const ids = [newId(now), newId(now), newId(now), newId(now - 5_000), newId(now), newId()];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(isValid(id)).toBe(true);
  });

  test("each new millisecond draws a new random part from the whole alphabet", () => {
    const randoms: string[] = [];
    for (let last = Date.now(); randoms.length < 60; ) {
      const now = Date.now();
      if (now === last) continue;
      last = now;
      randoms.push(newId(now).slice(10));
    }
    expect(new Set(randoms).size).toBe(randoms.length);
    // 960 characters: each of the 32 misses with a chance of about e^-30.
    expect(new Set(randoms.join("")).size).toBe(32);
  });

  test("the next event id follows the newest committed one, even one from a later clock", () => {
    const now = Date.now();
    const first = nextEventId(null, now);
    const second = nextEventId(first, now);
    expect(second > first).toBe(true);
    // Committed by another process whose clock is a minute ahead (ulid() is not this process's).
    const ahead = ulid(now + 60_000);
    const third = nextEventId(ahead, now);
    expect(third > ahead).toBe(true);
    expect(decodeTime(third)).toBe(now + 60_000);
    // An older newest id: the next one takes this millisecond.
    const fourth = nextEventId(ulid(now - 60_000), Date.now());
    expect(decodeTime(fourth)).toBeGreaterThanOrEqual(now);
  });
});
