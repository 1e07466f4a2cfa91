import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, startServe } from "./compiled.ts";

const work = tempHome("dash-serve-");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(() => work.cleanup());

const serve = (home: string) => startServe(bin, home);

test("dash serve answers /health on loopback, 404s in the PRD envelope, and stops cleanly on SIGTERM, event streams too", async () => {
  const home = mkdtempSync(join(work.dir, "home-"));
  const { proc, url, log, drained } = await serve(home);
  expect(new URL(url).hostname).toBe("127.0.0.1");
  const health = await fetch(new URL("/health", url));
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: "ok", database: "ok" });
  const missing = await fetch(new URL("/api/nothing-here", url));
  expect(missing.status).toBe(404);
  expect(ErrorResponseSchema.parse(await missing.json()).error.code).toBe("NOT_FOUND");
  // A follower (a dashboard, `dash events --follow`) must not hold the shutdown open.
  const { key } = JSON.parse(readFileSync(join(home, "credentials"), "utf8")) as { key: string };
  const ws = new WebSocket(new URL(`/events?token=${key}`, url.replace("http", "ws")));
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
  await new Promise((resolve) => ws.addEventListener("open", resolve));
  proc.kill("SIGTERM");
  expect(await closed).toBe(1001);
  expect(await proc.exited).toBe(0);
  await drained;
  expect(log()).toContain('"shutting down"');
});

test("a second server on a busy port says so and exits non-zero", async () => {
  const home = mkdtempSync(join(work.dir, "home-"));
  const first = await serve(home);
  const port = new URL(first.url).port;
  const second = Bun.spawnSync([bin, "serve", "--port", port], {
    env: { PATH: process.env.PATH ?? "", DASH_HOME: home, NO_COLOR: "1" },
    stderr: "pipe",
  });
  expect(second.exitCode).toBe(1);
  expect(second.stderr.toString()).toContain(`port ${port} is already in use`);
  first.proc.kill("SIGINT");
  expect(await first.proc.exited).toBe(0);
});
