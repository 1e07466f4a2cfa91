import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { createApiKey, generateApiKey } from "../../src/safety/api-keys.ts";
import { testServer } from "../api-helpers.ts";

// The limiters read this clock, so "a minute" is exactly what the test says it is.
let now = Date.parse("2026-02-02T10:00:00Z");
const api = await testServer({ limits: { perMinute: 100, swarmCreatesPerMinute: 10 }, clock: () => now });
const allowed = "http://localhost:5173";
const listed = await testServer({ corsOrigins: [allowed, "https://dash.local"] });
const any = await testServer({ corsOrigins: ["*"] });
afterAll(async () => {
  await Promise.all([api.close(), listed.close(), any.close()]);
});
// Every test starts with full buckets.
beforeEach(() => {
  now += 60_000;
});

const newKey = async (permissions: ("read" | "write")[]) =>
  (await createApiKey(api.t.store, { name: "limited", permissions })).key;

const rateHeaders = (res: Response) => ({
  limit: res.headers.get("ratelimit-limit"),
  remaining: res.headers.get("ratelimit-remaining"),
  reset: res.headers.get("ratelimit-reset"),
  retryAfter: res.headers.get("retry-after"),
});

async function expectLimited(res: Response) {
  expect(res.status).toBe(429);
  expect(ErrorResponseSchema.parse(await res.json()).error.code).toBe("RATE_LIMITED");
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
}

describe("rate limits (PRD §7.3)", () => {
  test("the 101st request in a minute from one key is 429 with Retry-After; another key is unaffected", async () => {
    const [a, b] = [await newKey(["read"]), await newKey(["read"])];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await api.call("GET", "/api/swarm", a);
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBe("100");
      remaining.push(res.headers.get("ratelimit-remaining"));
    }
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => String(99 - i)));
    const refused = await api.call("GET", "/api/swarm", a);
    expect(rateHeaders(refused)).toEqual({ limit: "100", remaining: "0", reset: "60", retryAfter: "1" });
    await expectLimited(refused);
    const other = await api.call("GET", "/api/swarm", b);
    expect([other.status, other.headers.get("ratelimit-remaining")]).toEqual([200, "99"]);
    // The bucket refills at 100 per minute: 0.6 s later, exactly one more request goes through.
    now += 600;
    expect((await api.call("GET", "/api/swarm", a)).status).toBe(200);
    await expectLimited(await api.call("GET", "/api/swarm", a));
  });

  test("the 11th swarm creation in a minute is 429 while the same key's GETs still work", async () => {
    const key = await newKey(["read", "write"]);
    for (let i = 0; i < 10; i++) {
      const res = await api.call("POST", "/api/swarm", key, { name: `burst-${i}`, task: "t" });
      expect([res.status, res.headers.get("ratelimit-limit")]).toEqual([201, "10"]);
      expect(res.headers.get("ratelimit-remaining")).toBe(String(9 - i));
    }
    const eleventh = await api.call("POST", "/api/swarm", key, { name: "burst-10", task: "t" });
    expect(rateHeaders(eleventh)).toMatchObject({ limit: "10", remaining: "0", retryAfter: "6" });
    await expectLimited(eleventh);
    expect((await api.t.store.listSwarms()).filter((s) => s.name.startsWith("burst-"))).toHaveLength(10);
    expect((await api.call("GET", "/api/swarm", key)).status).toBe(200);
  });

  test("failed key attempts from one IP are 401 up to the limit, then 429 until it refills; a valid key still works", async () => {
    for (let i = 0; i < 100; i++) {
      expect(
        (await api.call("GET", "/api/swarm", i % 2 ? generateApiKey() : "dash_api_key_bad")).status,
      ).toBe(401);
    }
    await expectLimited(await api.call("GET", "/api/swarm", generateApiKey()));
    await expectLimited(await api.call("GET", "/api/swarm", "dash_api_key_bad"));
    // A neighbour's bad script does not lock out a valid key from the same address.
    expect((await api.call("GET", "/api/swarm", api.keys.read)).status).toBe(200);
    for (let i = 0; i < 150; i++) {
      const health = await api.call("GET", "/health");
      expect([health.status, health.headers.get("ratelimit-limit")]).toEqual([200, null]);
    }
    now += 60_000;
    expect((await api.call("GET", "/api/swarm", generateApiKey())).status).toBe(401);
  });
});

describe("CORS (PRD §7.2)", () => {
  const from = (server: typeof listed, method: string, origin: string, key?: string) =>
    server.call(method, "/api/swarm", key, undefined, {
      headers: { origin, "access-control-request-method": "POST" },
    });
  const cors = (res: Response) => ({
    origin: res.headers.get("access-control-allow-origin"),
    credentials: res.headers.get("access-control-allow-credentials"),
  });

  test("an allowed origin is echoed with credentials and Vary: Origin, on success and on error", async () => {
    for (const res of [
      await from(listed, "GET", allowed, listed.keys.read),
      await from(listed, "GET", allowed),
    ]) {
      expect(cors(res)).toEqual({ origin: allowed, credentials: "true" });
      expect(res.headers.get("vary")).toContain("Origin");
      expect(res.headers.get("access-control-expose-headers")).toContain("RateLimit-Remaining");
    }
  });

  test("another origin gets no CORS headers but the request itself is answered", async () => {
    const res = await from(listed, "GET", "https://evil.example", listed.keys.read);
    expect([res.status, cors(res)]).toEqual([200, { origin: null, credentials: null }]);
  });

  test("a preflight from an allowed origin is 204 with methods, headers and max-age; others 403", async () => {
    const ok = await from(listed, "OPTIONS", allowed);
    expect([ok.status, cors(ok)]).toEqual([204, { origin: allowed, credentials: "true" }]);
    expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
    expect(ok.headers.get("access-control-allow-headers")).toContain("Authorization");
    expect(ok.headers.get("access-control-allow-headers")).toContain("Content-Type");
    expect(ok.headers.get("access-control-max-age")).toBe("86400");
    const no = await from(listed, "OPTIONS", "https://evil.example");
    expect([no.status, cors(no)]).toEqual([403, { origin: null, credentials: null }]);
    expect(ErrorResponseSchema.parse(await no.json()).error.code).toBe("FORBIDDEN");
  });

  test("a `*` config answers any origin with `*` and never with credentials", async () => {
    for (const method of ["GET", "OPTIONS"]) {
      const res = await from(any, method, "https://anywhere.example", any.keys.read);
      expect([res.status, cors(res)]).toEqual([
        method === "GET" ? 200 : 204,
        { origin: "*", credentials: null },
      ]);
    }
  });
});

describe("request logs", () => {
  const logged = (requestId: string) =>
    listed.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.requestId === requestId);

  test("every request, routed or not, writes one JSON line and echoes its X-Request-Id", async () => {
    const cases = [
      {
        id: "ok-1",
        method: "GET",
        path: "/api/swarm",
        key: listed.keys.read,
        route: "/api/swarm",
        status: 200,
      },
      { id: "no-key", method: "GET", path: "/api/agents", key: undefined, route: "/api/agents", status: 401 },
      { id: "missing", method: "GET", path: "/api/nope", key: undefined, route: "unmatched", status: 404 },
      { id: "wrong", method: "PUT", path: "/api/swarm", key: undefined, route: "/api/swarm", status: 405 },
      { id: "pre", method: "OPTIONS", path: "/api/swarm", key: undefined, route: "/api/swarm", status: 204 },
    ];
    for (const c of cases) {
      const headers = { "x-request-id": c.id, origin: allowed };
      const res = await listed.call(c.method, c.path, c.key, undefined, { headers });
      expect([res.status, res.headers.get("x-request-id")]).toEqual([c.status, c.id]);
      expect(logged(c.id)).toEqual([
        expect.objectContaining({
          msg: "request",
          method: c.method,
          route: c.route,
          status: c.status,
          ms: expect.any(Number),
        }),
      ]);
    }
  });

  test("a request without a usable X-Request-Id gets a fresh id, logged with it", async () => {
    for (const headers of [{}, { "x-request-id": "x".repeat(201) }] as Record<string, string>[]) {
      const res = await listed.call("GET", "/health", undefined, undefined, { headers });
      const id = res.headers.get("x-request-id") as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(logged(id)).toMatchObject([{ route: "/health", status: 200 }]);
    }
  });
});
