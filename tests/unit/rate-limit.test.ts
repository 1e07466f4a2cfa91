import { describe, expect, test } from "bun:test";
import { RateLimitedError, RateLimiter, rateLimitHeaders } from "../../src/api/rate-limit.ts";

/** A limiter on a clock the test moves by hand. */
function limiter(perMinute: number) {
  const clock = { now: 1_000_000 };
  return { clock, limiter: new RateLimiter({ perMinute }, () => clock.now) };
}

const burst = (l: RateLimiter, name: string, n: number) => Array.from({ length: n }, () => l.take(name));

describe("RateLimiter", () => {
  test("allows a burst of perMinute, counting remaining down, then refuses", () => {
    const { limiter: l } = limiter(60);
    const decisions = burst(l, "k", 61);
    expect(decisions.slice(0, 60).every((d) => d.allowed)).toBe(true);
    expect(decisions.slice(0, 3).map((d) => d.remaining)).toEqual([59, 58, 57]);
    expect(decisions[60]).toEqual({
      allowed: false,
      limit: 60,
      remaining: 0,
      resetSeconds: 60,
      retryAfterSeconds: 1,
    });
  });

  test("refills continuously: one token every 60/perMinute seconds", () => {
    const { clock, limiter: l } = limiter(10);
    burst(l, "k", 10);
    const refused = l.take("k");
    expect([refused.allowed, refused.retryAfterSeconds]).toEqual([false, 6]);
    clock.now += 5_999;
    expect(l.take("k").allowed).toBe(false);
    clock.now += 1;
    expect(l.take("k").allowed).toBe(true);
    expect(l.take("k").allowed).toBe(false);
    clock.now += 30_000;
    expect(burst(l, "k", 6).map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
  });

  test("retry-after counts only the missing part of a token, and is at least one second", () => {
    const { clock, limiter: l } = limiter(2);
    burst(l, "k", 2);
    expect(l.take("k").retryAfterSeconds).toBe(30);
    clock.now += 20_000;
    expect(l.take("k").retryAfterSeconds).toBe(10);
    clock.now += 9_999;
    expect(l.take("k").retryAfterSeconds).toBe(1);
  });

  test("a bucket never holds more than perMinute tokens, however long it idles", () => {
    const { clock, limiter: l } = limiter(5);
    l.take("k");
    clock.now += 3_600_000;
    expect(l.peek("k")).toMatchObject({ remaining: 5, resetSeconds: 0 });
    expect(burst(l, "k", 6).map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
  });

  test("peek does not spend, and each name has its own bucket", () => {
    const { limiter: l } = limiter(1);
    expect(l.peek("a").allowed).toBe(true);
    expect(l.peek("a").allowed).toBe(true);
    expect(l.take("a").allowed).toBe(true);
    expect(l.peek("a").allowed).toBe(false);
    expect(l.take("b").allowed).toBe(true);
  });

  test("at 10,000 buckets, the ones that refilled are forgotten, so memory stays bounded", () => {
    const { clock, limiter: l } = limiter(60);
    for (let i = 0; i < 10_000; i++) l.take(`ip:${i}`);
    const buckets = Reflect.get(l, "buckets") as Map<string, unknown>;
    expect(buckets.size).toBe(10_000);
    clock.now += 500;
    l.take("late");
    // Nothing had refilled yet: the oldest tenth is dropped so the map stays bounded.
    expect(buckets.size).toBe(9_000);
    expect(buckets.has("ip:0")).toBe(false);
    expect(buckets.has("ip:9999")).toBe(true);
    clock.now += 59_500;
    for (let i = 0; i <= 1_000; i++) l.take(`new:${i}`);
    // At the cap again: every bucket that had refilled (all the old ones) is forgotten.
    expect(buckets.size).toBe(1_001);
    expect([...buckets.keys()].every((k) => k.startsWith("new:"))).toBe(true);
    // A forgotten bucket is the same as a full one.
    expect(l.take("ip:1").remaining).toBe(59);
  });
});

describe("rate limit headers and error", () => {
  test("RateLimit-* always, Retry-After only when refused", () => {
    const { limiter: l } = limiter(1);
    const ok = rateLimitHeaders(l.take("k"));
    expect(ok).toEqual({
      "RateLimit-Limit": "1",
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": "60",
      "RateLimit-Policy": "1;w=60",
    });
    const refused = l.take("k");
    expect(rateLimitHeaders(refused)["Retry-After"]).toBe("60");
    const error = new RateLimitedError(refused, "requests");
    expect([error.status, error.code, error.details]).toEqual([
      429,
      "RATE_LIMITED",
      { limit: 1, retryAfterSeconds: 60 },
    ]);
    expect(error.message).toContain("retry in 60s");
  });
});
