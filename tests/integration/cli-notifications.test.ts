import { afterAll, expect, test } from "bun:test";
import { NotificationListSchema, SinkListSchema } from "../../src/domain/notification-wire.ts";
import { createLogger } from "../../src/log.ts";
import { Notifier } from "../../src/notify/notifier.ts";
import { errorCode, testServer } from "../api-helpers.ts";
import { inProcessCli } from "../cli-helpers.ts";
import { until } from "../helpers.ts";
import { notifyReceiver } from "../notify-receiver.ts";

// `dash notifications add|sinks|list|retry|rm` and their routes, over a real server, store,
// notifier and HTTP receiver.
const SECRET = "sixteen-chars-secret";
let notifier: Notifier | null = null;
const api = await testServer(
  {},
  { notifier: { refresh: () => notifier?.refresh() ?? Promise.resolve(), wake: () => notifier?.wake() } },
);
notifier = new Notifier(
  api.t.store,
  api.t.bus,
  { timeoutMs: 500, retryForMs: 1500, backoffMs: 20, maxBackoffMs: 100, pollMs: 20 },
  new Map(),
  createLogger("error", {}, () => {}),
);
await notifier.start({
  fixed: { url: "http://127.0.0.1:9/never", events: ["budget.exceeded"], format: "json" },
});
const cli = inProcessCli(api.server.url.origin, api.keys.admin);
const receiver = notifyReceiver(SECRET);
afterAll(async () => {
  await notifier?.stop();
  await receiver.stop();
  api.close();
});

const list = async (...extra: string[]) =>
  NotificationListSchema.parse(await cli.dashJson(["notifications", "list", ...extra]));

test("add a signed sink; a swarm's events reach it; list shows them delivered", async () => {
  const [code] = await cli.dash([
    "notifications",
    "add",
    "hook",
    receiver.url,
    "--events",
    "swarm.*",
    "--secret",
    SECRET,
  ]);
  expect(code).toBe(0);
  const { sinks } = SinkListSchema.parse(await cli.dashJson(["notifications", "sinks"]));
  expect(sinks.map((s) => [s.name, s.origin, s.signed])).toEqual([
    ["fixed", "config", false],
    ["hook", "api", true],
  ]);
  expect(JSON.stringify(sinks)).not.toContain(SECRET);
  const [, shown] = await cli.dash(["notifications", "sinks"]);
  expect(shown).toContain("signed");
  await api.t.lifecycle.createSwarm({ name: "told", task: "t" });
  await until(() => receiver.got.length >= 1);
  expect(receiver.got[0]?.signed).toBe(true);
  await until(async () => (await list("--status", "delivered")).notifications.length >= 1);
  const [, table] = await cli.dash(["notifications", "list"]);
  expect(table).toContain("swarm.created");
  expect(table).toContain("delivered");
});

test("dead ones are listed with their error and delivered again by retry --dead", async () => {
  await receiver.down();
  await api.t.lifecycle.createSwarm({ name: "lost", task: "t" });
  await until(async () => (await list("--status", "dead")).notifications.length >= 1, 8000);
  const [, table] = await cli.dash(["notifications", "list", "--status", "dead"]);
  expect(table).toContain("dash notifications retry --dead");
  receiver.up();
  const before = receiver.got.length;
  const [code, said] = await cli.dash(["notifications", "retry", "--dead"]);
  expect(code).toBe(0);
  expect(said).toContain("1 notification(s)");
  await until(() => receiver.got.length > before);
  expect((await list()).counts.dead).toBe(0);
  const metrics = await (
    await fetch(`${api.server.url.origin}/metrics`, {
      headers: { authorization: `Bearer ${api.keys.admin}` },
    })
  ).text();
  expect(metrics).toContain('dash_notifications{status="dead"} 0');
  expect(metrics).toMatch(/dash_notifications\{status="delivered"\} [1-9]/);
  expect(metrics).toMatch(/dash_info\{version="[^"]+",store="(sqlite|postgres)",node=""\} 1/);
});

test("retry by id; refusals are clear", async () => {
  const [row] = (await list("--status", "delivered")).notifications;
  const [code, said] = await cli.dash(["notifications", "retry", String(row?.id)]);
  expect(code).toBe(0);
  expect(said).toContain("0 notification(s)");
  cli.clearStderr();
  const [none] = await cli.dash(["notifications", "retry"]);
  expect(none).not.toBe(0);
  expect(cli.stderr()).toContain("--dead");
  const [bad] = await cli.dash(["notifications", "add", "x", receiver.url, "--format", "teams"]);
  expect(bad).not.toBe(0);
  expect(cli.stderr()).toContain("json, slack or discord");
  const [status] = await cli.dash(["notifications", "list", "--status", "lost"]);
  expect(status).not.toBe(0);
});

test("config sinks cannot be changed or removed through the API; a reader key is refused", async () => {
  cli.clearStderr();
  const [code] = await cli.dash(["notifications", "rm", "fixed"]);
  expect(code).not.toBe(0);
  expect(cli.stderr()).toContain("config.yaml");
  const put = await fetch(`${api.server.url.origin}/api/notifications/sinks`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.keys.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "fixed", url: receiver.url }),
  });
  expect(put.status).toBe(409);
  const both = await fetch(`${api.server.url.origin}/api/notifications/sinks`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.keys.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "two", url: receiver.url, plugin: "p" }),
  });
  expect(await errorCode(both)).toBe("VALIDATION_ERROR");
  const reader = await fetch(`${api.server.url.origin}/api/notifications`, {
    headers: { authorization: `Bearer ${api.keys.read}` },
  });
  expect(reader.status).toBe(403);
  const [gone, said] = await cli.dash(["notifications", "rm", "hook"]);
  expect(gone).toBe(0);
  expect(said).toContain("Removed sink hook");
  const [missing] = await cli.dash(["notifications", "rm", "hook"]);
  expect(missing).not.toBe(0);
});
