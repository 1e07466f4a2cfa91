import { afterAll, describe, expect, test } from "bun:test";
import { ROUTES } from "../../src/api/server.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { newId } from "../../src/domain/ids.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { createLogger } from "../../src/log.ts";
import { generateApiKey } from "../../src/safety/api-keys.ts";
import { errorCode, testServer } from "../api-helpers.ts";
import { TEST_STORE } from "../helpers.ts";

const api = await testServer();
const { t, keys, lines } = api;
afterAll(() => api.close());

const call = (method: string, path: string, key?: string, body?: unknown, raw?: string) =>
  api.call(method, path, key, body, { raw });

describe("route table", () => {
  test("every route declares a permission and only /health is public", () => {
    for (const route of ROUTES) {
      expect(["public", "read", "write", "admin"]).toContain(route.permission);
      expect(route.permission === "public").toBe(route.path === "/health");
    }
  });

  for (const route of ROUTES.filter((r) => r.permission !== "public")) {
    const path = route.path.replace(/:[a-zA-Z]+/g, newId());
    test(`${route.method} ${route.path} refuses no, malformed, unknown, revoked and expired keys (401) and a weaker key (403)`, async () => {
      for (const key of [undefined, "dash_api_key_short", generateApiKey(), keys.revoked, keys.expired]) {
        const res = await call(route.method, path, key, {});
        expect(res.status).toBe(401);
        expect(await errorCode(res)).toBe("UNAUTHORIZED");
      }
      const weaker =
        route.permission === "read" ? null : route.permission === "write" ? keys.read : keys.write;
      if (weaker) {
        const res = await call(route.method, path, weaker, {});
        expect(res.status).toBe(403);
        expect(await errorCode(res)).toBe("FORBIDDEN");
      }
    });
  }
});

describe("HTTP basics", () => {
  test("GET /health needs no key and reports the database", async () => {
    const health = await call("GET", "/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", database: "ok", version: expect.any(String) });
    expect(health.headers.get("x-request-id")).toBeTruthy();
  });

  test("unknown route 404, wrong method 405 with Allow, malformed JSON 400, body over 10 MB 413", async () => {
    const missing = await call("GET", "/api/missing", keys.admin);
    expect([missing.status, await errorCode(missing)]).toEqual([404, "NOT_FOUND"]);
    const wrong = await call("PUT", "/api/swarm", keys.admin, {});
    expect([wrong.status, await errorCode(wrong)]).toEqual([405, "METHOD_NOT_ALLOWED"]);
    expect(wrong.headers.get("allow")).toBe("POST, GET");
    const bad = await call("POST", "/api/swarm", keys.write, undefined, '{"name": "x",');
    expect([bad.status, await errorCode(bad)]).toEqual([400, "VALIDATION_ERROR"]);
    const huge = await call(
      "POST",
      "/api/swarm",
      keys.write,
      undefined,
      `{"name":"${"x".repeat(10 * 1024 * 1024)}"}`,
    );
    expect([huge.status, await errorCode(huge)]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
  });

  test("a chunked body (no Content-Length) is read as a stream: a small one is taken, one over 10 MB is 413", async () => {
    const chunked = (parts: string[]) =>
      fetch(new URL("/api/swarm", api.server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${keys.write}`, "content-type": "application/json" },
        body: new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
    const small = await chunked(['{"name":"chunked",', '"task":"t","initialAgents":1}']);
    expect([small.status, ((await small.json()) as { name: string }).name]).toEqual([201, "chunked"]);
    const mb = "x".repeat(1024 * 1024);
    const huge = await chunked(['{"name":"', ...Array.from({ length: 11 }, () => mb), '"}']);
    expect([huge.status, await errorCode(huge)]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
  });
});

describe("swarms over HTTP (PRD §9.1)", () => {
  test("POST /api/swarm → 201 with name and agentCount, then GET, list and DELETE", async () => {
    const res = await call("POST", "/api/swarm", keys.write, {
      name: "test-swarm",
      task: "Test task",
      initialAgents: 3,
    });
    expect(res.status).toBe(201);
    const swarm = SwarmResponseSchema.parse(await res.json());
    expect(swarm).toMatchObject({ name: "test-swarm", agentCount: 3, status: "active" });
    const got = await call("GET", `/api/swarm/${swarm.id}`, keys.read);
    expect(SwarmResponseSchema.parse(await got.json())).toEqual(swarm);
    const list = (await (await call("GET", "/api/swarm?status=active", keys.read)).json()) as {
      swarms: unknown[];
    };
    expect(list.swarms.map((s) => SwarmResponseSchema.parse(s).id)).toContain(swarm.id);
    const gone = await call("DELETE", `/api/swarm/${swarm.id}`, keys.write);
    expect(SwarmResponseSchema.parse(await gone.json()).status).toBe("destroyed");
    const agents = await t.store.listAgents({ swarmId: swarm.id });
    expect(agents.every((a) => a.status === "killed")).toBe(true);
  });

  test("initialAgents: 101 → 400 VALIDATION_ERROR naming the field; unknown swarm → 404; bad filter → 400", async () => {
    const res = await call("POST", "/api/swarm", keys.write, {
      name: "test-swarm",
      task: "Test task",
      initialAgents: 101,
    });
    expect(res.status).toBe(400);
    const body = ErrorResponseSchema.parse(await res.json());
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(body.error.message).toContain("initialAgents");
    expect((await call("GET", `/api/swarm/${newId()}`, keys.read)).status).toBe(404);
    expect((await call("GET", "/api/swarm?status=sleeping", keys.read)).status).toBe(400);
  });

  // A SQLite trigger makes the failure; the handler's answer does not depend on the store.
  test.skipIf(TEST_STORE === "postgres")(
    "an unexpected failure is a 500 INTERNAL_ERROR without a stack, and is logged",
    async () => {
      t.store.db.run(
        "CREATE TEMP TRIGGER boom BEFORE INSERT ON swarms WHEN NEW.name = 'explode' BEGIN SELECT RAISE(ABORT, 'boom'); END",
      );
      const res = await call("POST", "/api/swarm", keys.write, { name: "explode", task: "t" });
      t.store.db.run("DROP TRIGGER boom");
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(ErrorResponseSchema.parse(JSON.parse(text)).error.code).toBe("INTERNAL_ERROR");
      expect(text).not.toContain("boom");
      expect(lines.some((l) => l.includes("boom"))).toBe(true);
    },
  );
});

test("logger writes JSON lines at or above its level", () => {
  const out: string[] = [];
  const child = createLogger("warn", { service: "t" }, (l) => out.push(l)).child({ requestId: "r1" });
  child.debug("hidden");
  child.info("hidden");
  child.warn("shown", { n: 1 });
  child.error("also shown");
  child.onError("job failed")(new Error("disk full"));
  expect(out.map((l) => JSON.parse(l))).toMatchObject([
    { level: "warn", msg: "shown", service: "t", requestId: "r1", n: 1 },
    { level: "error", msg: "also shown" },
    { level: "warn", msg: "job failed", error: "disk full" },
  ]);
});
