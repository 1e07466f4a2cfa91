import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NotifyConfig } from "../../src/domain/notification.ts";
import { createLogger } from "../../src/log.ts";
import { Notifier } from "../../src/notify/notifier.ts";
import { sinkRecord } from "../../src/notify/sinks.ts";
import { loadPlugins } from "../../src/plugins/loader.ts";
import { ROOT, testLifecycle, until } from "../helpers.ts";
import { notifyReceiver } from "../notify-receiver.ts";

// The outbox over a real store (SQLite, or PostgreSQL with DASH_TEST_STORE=postgres): rows are
// made by the events trigger in the event's transaction and delivered to a real HTTP receiver.
const SECRET = "a-secret-of-sixteen+";
const quiet = createLogger("error", {}, () => {});
const t = testLifecycle();
const receiver = notifyReceiver(SECRET);
const fast: Omit<NotifyConfig, "sinks"> = {
  timeoutMs: 500,
  retryForMs: 60_000,
  backoffMs: 20,
  maxBackoffMs: 100,
  pollMs: 20,
};
let notifier: Notifier | null = null;

async function start(options: Partial<NotifyConfig> = {}, sinks: NotifyConfig["sinks"] = {}) {
  notifier = new Notifier(t.store, t.bus, { ...fast, ...options }, new Map(), quiet);
  await notifier.start({
    hook: { url: receiver.url, secret: SECRET, events: ["swarm.*"], format: "json" },
    ...sinks,
  });
  return notifier;
}

const createSwarm = (name: string) => t.lifecycle.createSwarm({ name, task: "t", initialAgents: 1 });

afterEach(async () => {
  await notifier?.stop();
  notifier = null;
  receiver.state.failNext = 0;
  receiver.state.hang = false;
  receiver.up();
  receiver.got.length = 0;
});
afterAll(async () => {
  await receiver.stop();
  t.close();
});

describe("notifications", () => {
  test("a matching committed event is delivered once, signed, with its id; others are not queued", async () => {
    await start();
    const { swarm } = await createSwarm("signed");
    await until(() => receiver.got.length >= 1);
    const [got] = receiver.got;
    expect(got?.type).toBe("swarm.created");
    expect(got?.signed).toBe(true);
    expect(got?.body.data).toMatchObject({ swarmId: swarm.id });
    expect(got?.body.text).toContain("swarm.created");
    // The receiver has it before the notifier hears its answer and marks the row delivered.
    const list = () => t.store.notifications.listNotifications({ sink: "hook" });
    await until(async () => (await list()).find((r) => r.eventId === got?.eventId)?.status === "delivered");
    const rows = await list();
    expect(rows.every((r) => r.type.startsWith("swarm."))).toBe(true);
    const spawned = await t.store.listEvents({ types: ["agent.spawned"] });
    expect(spawned.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.type === "agent.spawned")).toBe(false);
  });

  test("a receiver answering 500 is retried with backoff until it takes it", async () => {
    await start();
    receiver.state.failNext = 3;
    const before = receiver.state.attempts;
    const { swarm } = await createSwarm("flaky");
    const mine = () => receiver.got.find((r) => (r.body.data as { swarmId?: string }).swarmId === swarm.id);
    await until(() => mine() !== undefined);
    expect(receiver.state.attempts - before).toBeGreaterThanOrEqual(4);
    expect(mine()?.attempt).toBe(4);
  });

  test("a receiver that is down for a while gets it once it is back", async () => {
    await start();
    await receiver.down();
    await createSwarm("down");
    await Bun.sleep(300);
    const [row] = await t.store.notifications.listNotifications({ sink: "hook", limit: 1 });
    expect(row?.status).toBe("pending");
    expect(row?.attempts).toBeGreaterThan(1);
    expect(row?.lastError).toBeTruthy();
    receiver.up();
    // (A notification an earlier test left pending may arrive too: the outbox is shared.)
    await until(() => receiver.got.some((r) => r.eventId === row?.eventId));
    expect(receiver.got.filter((r) => r.eventId === row?.eventId).length).toBeGreaterThanOrEqual(1);
  });

  test("past retryForMs it is dead-lettered; a retry delivers it", async () => {
    await start({ retryForMs: 1000 });
    await receiver.down();
    await createSwarm("dead");
    await until(
      async () => (await t.store.notifications.listNotifications({ status: "dead" })).length > 0,
      8000,
    );
    const counts = await t.store.notifications.notificationCounts();
    expect(counts.dead).toBeGreaterThan(0);
    receiver.up();
    expect(await t.store.notifications.retryNotifications("dead", Date.now())).toBe(counts.dead);
    notifier?.wake();
    await until(() => receiver.got.length >= 1);
    expect((await t.store.notifications.notificationCounts()).dead).toBe(0);
  });

  test("a hanging receiver times out and is tried again; the API path is never waited on", async () => {
    await start({ timeoutMs: 200 });
    receiver.state.hang = true;
    const started = performance.now();
    await createSwarm("slow");
    expect(performance.now() - started).toBeLessThan(1000);
    await until(async () => {
      const [row] = await t.store.notifications.listNotifications({ sink: "hook", limit: 1 });
      return row?.lastError === "timed out";
    });
    receiver.state.hang = false;
    await until(() => receiver.got.length >= 1);
  });

  test("a sink with a swarm filter gets only that swarm's events; slack and discord get text", async () => {
    const { swarm } = await createSwarm("watched");
    await start(
      {},
      {
        only: { url: `${receiver.url}?only`, events: ["swarm.*"], swarmId: swarm.id, format: "slack" },
      },
    );
    receiver.got.length = 0;
    await t.lifecycle.moveSwarm(swarm.id, { to: "destroyed" } as never).catch(() => {});
    await createSwarm("other");
    await until(() => receiver.got.some((r) => "text" in r.body && !("id" in r.body)));
    const slack = receiver.got.filter((r) => !("id" in r.body));
    expect(slack.every((r) => typeof r.body.text === "string")).toBe(true);
    const rows = await t.store.notifications.listNotifications({ sink: "only" });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.data.swarmId === swarm.id)).toBe(true);
  });

  test("config sinks are replaced at start; API sinks stay", async () => {
    await t.store.notifications.putSink(
      sinkRecord("mine", { url: receiver.url, format: "discord" }, "api", 1),
    );
    await start({}, {});
    const names = (await t.store.notifications.listSinks()).map((s) => `${s.name}:${s.origin}`);
    expect(names).toContain("mine:api");
    expect(names).toContain("hook:config");
    await notifier?.stop();
    notifier = new Notifier(t.store, t.bus, fast, new Map(), quiet);
    await notifier.start({});
    expect((await t.store.notifications.listSinks()).map((s) => s.name)).toEqual(["mine"]);
    await t.store.notifications.deleteSink("mine");
  });

  test("a sink plugin (examples/plugins/file-sink.ts) gets the notifications; one naming an unknown plugin is refused", async () => {
    const file = join(t.dir, "audit.jsonl");
    process.env.DASH_NOTIFY_FILE = file;
    const { sinks } = await loadPlugins([join(ROOT, "examples", "plugins", "file-sink.ts")], t.dir);
    const bad = new Notifier(t.store, t.bus, fast, sinks, quiet);
    await expect(bad.start({ x: { plugin: "nope", format: "json" } })).rejects.toThrow(
      'names the plugin "nope"',
    );
    notifier = new Notifier(t.store, t.bus, fast, sinks, quiet);
    await notifier.start({ audit: { plugin: "jsonl-file", events: ["swarm.created"], format: "json" } });
    const { swarm } = await createSwarm("audited");
    await until(() => existsSync(file) && readFileSync(file, "utf8").includes(swarm.id));
    const [line] = readFileSync(file, "utf8").trim().split("\n");
    expect(JSON.parse(line as string)).toMatchObject({ type: "swarm.created", sink: "audit", attempt: 1 });
    delete process.env.DASH_NOTIFY_FILE;
  });
});
