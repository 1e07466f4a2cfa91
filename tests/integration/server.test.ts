import { afterAll, expect, test } from "bun:test";
import { startServer } from "../../src/api/server.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { createLogger } from "../../src/log.ts";
import { testLifecycle } from "../helpers.ts";

const t = testLifecycle();
const lines: string[] = [];
const server = startServer(
  { store: t.store, log: createLogger("debug", {}, (l) => lines.push(l)) },
  { port: 0, hostname: "127.0.0.1" },
);
afterAll(async () => {
  await server.stop(true);
  t.close();
});

test("GET /health reports the database; unknown routes get the PRD error envelope", async () => {
  const health = await fetch(new URL("/health", server.url));
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: "ok", database: "ok", version: expect.any(String) });
  for (const [method, path] of [
    ["GET", "/api/missing"],
    ["POST", "/health/../../etc/passwd"],
    ["DELETE", "/%00"],
  ] as const) {
    const res = await fetch(new URL(path, server.url), { method });
    expect(res.status).toBe(404);
    expect(ErrorResponseSchema.parse(await res.json()).error.code).toBe("NOT_FOUND");
  }
});

test("logger writes JSON lines at or above its level", () => {
  const out: string[] = [];
  const log = createLogger("warn", { service: "t" }, (l) => out.push(l)).child({ requestId: "r1" });
  log.debug("hidden");
  log.info("hidden");
  log.warn("shown", { n: 1 });
  log.error("also shown");
  expect(out.map((l) => JSON.parse(l))).toMatchObject([
    { level: "warn", msg: "shown", service: "t", requestId: "r1", n: 1 },
    { level: "error", msg: "also shown" },
  ]);
});
