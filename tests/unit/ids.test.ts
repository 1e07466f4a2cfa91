import { describe, expect, test } from "bun:test";
import { decodeTime, isValid, ulid, incrementBase32 as ulidIncrement } from "ulid";
import { idFactory, incrementBase32, nextEventId } from "../../src/domain/ids.ts";

// Each test has its own generator: the process's one (newId) is monotonic across every test file
// of the run, and one of them makes an id from the year 2065.
describe("ids", () => {
  test("are valid ULIDs that carry their time", () => {
    const newId = idFactory();
    const now = Date.UTC(2026, 11, 4, 12);
    const id = newId(now);
    expect(isValid(id)).toBe(true);
    expect(decodeTime(id)).toBe(now);
    expect(decodeTime(newId())).toBeGreaterThan(now);
  });

  test("sort in creation order within one millisecond and after the clock steps back", () => {
    const newId = idFactory();
    const now = Date.UTC(2027, 0, 1);
    const ids = [newId(now), newId(now), newId(now), newId(now - 5_000), newId(now + 1), newId(now + 1)];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(isValid(id)).toBe(true);
    expect(decodeTime(ids[3] as string)).toBe(now);
  });

  test("each new millisecond draws a new random part from the whole alphabet", () => {
    const newId = idFactory();
    const base = Date.UTC(2028, 0, 1);
    const randoms = Array.from({ length: 2000 }, (_, i) => newId(base + i).slice(10));
    expect(new Set(randoms).size).toBe(randoms.length);
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
    expect(nextEventId(ulid(now - 60_000), now) > ulid(now - 60_000)).toBe(true);
  });

  test("increment as ulid's incrementBase32 does, carries included; what cannot be is an error", () => {
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    for (let n = 0; n < 5_000; n++) {
      let text = "";
      // Many Zs: the carries are the cases that matter.
      for (let i = 0; i < 26; i++)
        text += alphabet[Math.random() < 0.4 ? 31 : Math.floor(Math.random() * 32)];
      if (/^Z+$/.test(text)) continue;
      expect(incrementBase32(text)).toBe(ulidIncrement(text));
    }
    expect(incrementBase32("0ZZ")).toBe("100");
    expect(() => incrementBase32("ZZZ")).toThrow("cannot increment the id ZZZ");
    expect(() => incrementBase32("0a")).toThrow("cannot increment");
  });
});
