import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "../helpers.ts";
import { notifyReceiver } from "../notify-receiver.ts";
import { serveNode } from "../serve-node.ts";
import { compiledDash } from "./compiled.ts";

/**
 * Notifications with the compiled binary (issue 27): `kill -9` of the server between an event's
 * commit and its delivery loses nothing (delivered after restart, once after de-duplication),
 * and with a sink that names no events a person hears of what needs them, in time: an approval
 * with the command to answer it, the budget's thresholds and its predicted breach BEFORE the
 * breach, and swarms that completed or failed.
 */
const SECRET = "e2e-secret-16chars!";
const receiver = notifyReceiver(SECRET);
const dirs: string[] = [];
let bin = "";

beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(async () => {
  await receiver.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function home(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), "dash-notify-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.yaml"), `limits: { rateLimitPerMinute: 100000 }\n${config}`);
  return dir;
}

async function serve(dir: string) {
  const node = await serveNode([bin], { PATH: process.env.PATH ?? "", DASH_HOME: dir });
  const { key } = JSON.parse(readFileSync(join(dir, "credentials"), "utf8")) as { key: string };
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const call = async <T>(method: string, path: string, body?: unknown) =>
    (await (
      await fetch(`${node.origin}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json()) as T;
  return { ...node, call };
}

test("kill -9 between commit and delivery: delivered after restart, each event once after de-duplication", async () => {
  const dir = home(
    `notify:\n  timeoutMs: 800\n  backoffMs: 50\n  pollMs: 50\n  sinks:\n    hook: { url: "${receiver.url}", secret: "${SECRET}", events: ["swarm.*"] }\n`,
  );
  receiver.state.hang = true;
  const first = await serve(dir);
  const before = receiver.state.attempts;
  const swarm = await first.call<{ id: string }>("POST", "/api/swarm", {
    name: "cut",
    task: "t",
    config: { runtime: "command", command: ["true"] },
  });
  await until(() => receiver.state.attempts > before); // the request is at the receiver, unanswered
  first.proc.kill(9);
  await first.proc.exited;
  receiver.state.hang = false;
  expect(receiver.got.length).toBe(0);
  const second = await serve(dir);
  try {
    await until(async () => {
      const events = await second.call<{ events: { id: string }[] }>(
        "GET",
        "/api/events?type=swarm.created,swarm.started,swarm.completed,swarm.failed&limit=100",
      );
      const ids = new Set(receiver.unique().map((r) => r.eventId));
      return events.events.length >= 2 && events.events.every((e) => ids.has(e.id));
    }, 15_000);
    const created = receiver.unique().find((r) => r.type === "swarm.created");
    expect(created?.body.data).toMatchObject({ swarmId: swarm.id });
    expect(created?.signed).toBe(true);
    expect(created?.attempt).toBeGreaterThanOrEqual(2); // the first was cut by the kill
    expect(receiver.got.every((r) => r.signed)).toBe(true);
  } finally {
    second.proc.kill();
    await second.proc.exited;
  }
}, 60_000);

test("a sink naming no events hears what needs a person: an approval, the budget before and at its breach, swarms' ends", async () => {
  const dir = home(
    `swarms: { forecastMs: 100 }\nnotify:\n  backoffMs: 50\n  pollMs: 50\n  sinks:\n    people: { url: "${receiver.url}", secret: "${SECRET}" }\n`,
  );
  receiver.got.length = 0;
  const node = await serve(dir);
  let askerSwarm: string | undefined;
  try {
    // A steady spender: $0.01 every 100 ms on a $0.50 budget, so the breach is ~5 s away.
    const spend = `while true; do echo '{"dash":"usage","promptTokens":1,"completionTokens":1,"costUsd":0.01}'; sleep 0.1; done`;
    const spender = await node.call<{ id: string }>("POST", "/api/swarm", {
      name: "spender",
      task: "t",
      budget: { amount: 0.5, actions: { critical: "notify" } },
      config: { command: ["sh", "-c", spend] },
    });
    const quick = await node.call<{ id: string }>("POST", "/api/swarm", {
      name: "quick",
      task: "t",
      config: { command: ["sh", "-c", `echo '{"dash":"result","result":"done"}'`] },
    });
    const broken = await node.call<{ id: string }>("POST", "/api/swarm", {
      name: "broken",
      task: "t",
      config: { command: ["sh", "-c", "exit 3"], maxRetries: 0 },
    });
    // Another agent asks (asking pauses the asker: the spender must go on).
    const asker = await node.call<{ id: string }>("POST", "/api/swarm", {
      name: "asker",
      task: "t",
      config: { command: ["sleep", "30"] },
    });
    askerSwarm = asker.id;
    const askerAgent = async () =>
      (
        await node.call<{ agents: { id: string; status: string }[] }>(
          "GET",
          `/api/agents?swarmId=${asker.id}`,
        )
      ).agents[0];
    await until(async () => (await askerAgent())?.status === "running", 10_000);
    const asked = await node.call<{ id: string }>("POST", "/api/approvals", {
      agentId: (await askerAgent())?.id,
      title: "Deploy to production?",
    });
    const types = () => receiver.unique().map((r) => r.type);
    await until(
      () =>
        ["budget.exceeded", "swarm.completed", "swarm.failed", "approval.requested"].every((t) =>
          types().includes(t),
        ),
      30_000,
    );
    const got = receiver.unique();
    expect(got.every((r) => r.signed)).toBe(true);
    expect(new Set(types())).toEqual(
      new Set([
        "approval.requested",
        "budget.threshold",
        "budget.projected",
        "budget.exceeded",
        "swarm.completed",
        "swarm.failed",
      ]),
    );
    const at = (type: string) => got.find((r) => r.type === type)?.body.timestamp as string;
    expect(Date.parse(at("budget.projected"))).toBeLessThan(Date.parse(at("budget.exceeded")));
    const levels = got
      .filter((r) => r.type === "budget.threshold")
      .map((r) => (r.body.data as { level: string }).level);
    expect(levels).toEqual(["warning", "critical", "hardStop"]);
    const approval = got.find((r) => r.type === "approval.requested");
    expect(approval?.body.text).toContain(`dash approvals approve ${asked.id}`);
    const budgets = got.filter((r) => r.type.startsWith("budget."));
    expect(budgets.every((r) => (r.body.data as { entityId: string }).entityId === spender.id)).toBe(true);
    // The spender's swarm fails too, once the hard stop killed its agent.
    const ends = got.filter((r) => r.type.startsWith("swarm."));
    expect(ends.map((r) => [r.type, (r.body.data as { swarmId: string }).swarmId])).toEqual(
      expect.arrayContaining([
        ["swarm.completed", quick.id],
        ["swarm.failed", broken.id],
      ]),
    );
  } finally {
    // Asking paused the asker (SIGSTOP): a server that stops leaves its agents running, and a
    // stopped one would stay behind for good. Its swarm is destroyed first.
    if (askerSwarm) await node.call("DELETE", `/api/swarm/${askerSwarm}`).catch(() => undefined);
    node.proc.kill();
    await node.proc.exited;
  }
}, 60_000);

test("an unanswered approval escalates to a second sink with its context; a rule made from it answers the next one at once", async () => {
  const dir = home(
    `approvals: { escalateAfter: 1 }\nnotify:\n  backoffMs: 50\n  pollMs: 50\n  sinks:\n    pager: { url: "${receiver.url}", secret: "${SECRET}", events: ["approval.escalated"] }\n`,
  );
  receiver.got.length = 0;
  const node = await serve(dir);
  let careful: string | undefined;
  try {
    const swarm = await node.call<{ id: string }>("POST", "/api/swarm", {
      name: "careful",
      task: "Ship the release",
      config: { command: ["sh", "-c", "echo preparing the release; sleep 30"] },
    });
    careful = swarm.id;
    const agent = async () =>
      (
        await node.call<{ agents: { id: string; status: string }[] }>(
          "GET",
          `/api/agents?swarmId=${swarm.id}`,
        )
      ).agents[0];
    await until(async () => (await agent())?.status === "running", 10_000);
    await Bun.sleep(300); // its first line is in its log
    const agentId = (await agent())?.id;
    const asked = await node.call<{ id: string }>("POST", "/api/approvals", {
      agentId,
      title: "Push the tag?",
    });
    await until(() => receiver.got.some((r) => r.type === "approval.escalated"), 10_000);
    const escalated = receiver.got.find((r) => r.type === "approval.escalated");
    expect(escalated?.signed).toBe(true);
    const data = escalated?.body.data as {
      approvalId: string;
      escalated: boolean;
      context: Record<string, unknown>;
    };
    expect(data.approvalId).toBe(asked.id);
    expect(data.escalated).toBe(true);
    expect(data.context).toMatchObject({ task: "Ship the release", onTimeout: { action: "deny" } });
    expect(JSON.stringify(data.context.log)).toContain("preparing the release");
    expect(escalated?.body.text).toContain(`dash approvals approve ${asked.id}`);
    // Answered, then made a rule: the same question from the same swarm is answered by the rule.
    await node.call("POST", `/api/approvals/${asked.id}/approve`, { reason: "ok to push" });
    const rule = await node.call<{ id: string }>("POST", "/api/approvals/rules", { from: asked.id });
    expect(rule.id).toBeTruthy();
    const again = await node.call<{ status: string; resolvedBy: string }>("POST", "/api/approvals", {
      agentId,
      title: "Push the tag?",
    });
    expect(again).toMatchObject({ status: "approved", resolvedBy: `rule:${rule.id}` });
    expect((await agent())?.status).toBe("running");
  } finally {
    // Its agent would sleep on for 30 s after the server stops.
    if (careful) await node.call("DELETE", `/api/swarm/${careful}`).catch(() => undefined);
    node.proc.kill();
    await node.proc.exited;
  }
}, 60_000);
