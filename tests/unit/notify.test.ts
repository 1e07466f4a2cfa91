import { expect, test } from "bun:test";
import { EVENT_TYPES } from "../../src/domain/event.ts";
import { SinkConfigSchema } from "../../src/domain/notification.ts";
import { backoffMs } from "../../src/notify/notifier.ts";
import { bodyOf, notificationOf } from "../../src/notify/payload.ts";
import { signature } from "../../src/notify/sign.ts";
import { describe as describeEvent } from "../../src/notify/text.ts";
import { verifySignature } from "../notify-receiver.ts";

test("the signature verifies with node:crypto over t.body; a changed body or secret does not", () => {
  const body = JSON.stringify({ hello: "world" });
  const header = signature("s3cret-s3cret-s3cret", body, 1_700_000_000_123);
  expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
  expect(verifySignature("s3cret-s3cret-s3cret", header, body)).toBe(true);
  expect(verifySignature("s3cret-s3cret-s3cret", header, `${body} `)).toBe(false);
  expect(verifySignature("another-secret-here", header, body)).toBe(false);
  expect(verifySignature("s3cret-s3cret-s3cret", header.replace("t=1700000000", "t=1700000001"), body)).toBe(
    false,
  );
  expect(verifySignature("s3cret-s3cret-s3cret", null, body)).toBe(false);
});

test("backoff doubles from its base, is capped, and is jittered between half and all of it", () => {
  expect([1, 2, 3, 4].map((n) => backoffMs(n, 100, 1000, () => 1))).toEqual([100, 200, 400, 800]);
  expect(backoffMs(10, 100, 1000, () => 1)).toBe(1000);
  expect(backoffMs(3, 100, 1000, () => 0)).toBe(200);
});

test("every event type has a line for people; the ones a person acts on say how", () => {
  for (const type of EVENT_TYPES) expect(describeEvent(type, {}).length).toBeGreaterThan(0);
  const approval = { approvalId: "A1", title: "Deploy?", agentId: "G1", swarmId: "S1", kind: "agent" };
  expect(describeEvent("approval.requested", approval)).toBe(
    'Approval needed: "Deploy?" (agent G1 in swarm S1). Answer: dash approvals approve A1  (or: dash approvals deny A1)',
  );
  expect(describeEvent("approval.escalated", approval)).toContain("still unanswered");
  expect(describeEvent("approval.resolved", { ...approval, status: "denied", reason: "no" })).toBe(
    'Approval denied: "Deploy?" (no)',
  );
  const budget = {
    entityType: "swarm",
    entityId: "S1",
    spent: 0.9,
    allocated: 1,
    currency: "USD",
    percent: 90,
  };
  expect(describeEvent("budget.threshold", { ...budget, level: "critical", action: "pause" })).toBe(
    "Budget critical reached for swarm S1: $0.90 of $1.00 (90%); action: pause",
  );
  expect(
    describeEvent("budget.exceeded", { ...budget, currency: "tokens", spent: 5, allocated: 4 }),
  ).toContain("5 tokens of 4 tokens");
  expect(describeEvent("budget.projected", { ...budget, projected: 1.5, minutesLeft: 2.2 })).toContain(
    "projected $1.50, about 3 min left",
  );
  expect(
    describeEvent("swarm.failed", { name: "nightly", status: "failed", reason: "2 agents failed" }),
  ).toBe("Swarm nightly failed: 2 agents failed");
});

test("the body by format: the whole notification, Slack's text, Discord's content (cut at 2,000)", () => {
  const row = {
    id: 1,
    eventId: "E1",
    sink: "s",
    type: "swarm.completed",
    source: "S1",
    data: { name: "x".repeat(3000), status: "completed" },
    timestamp: 0,
    status: "pending" as const,
    attempts: 2,
    nextAt: 0,
    retryFrom: 0,
    deliveredAt: null,
    lastError: null,
  };
  const n = notificationOf(row);
  expect(n).toMatchObject({ id: "E1", attempt: 2, timestamp: "1970-01-01T00:00:00.000Z" });
  expect(JSON.parse(bodyOf(n, "json"))).toEqual(JSON.parse(JSON.stringify(n)));
  expect(JSON.parse(bodyOf(n, "slack"))).toEqual({ text: n.text });
  expect(JSON.parse(bodyOf(n, "discord")).content).toHaveLength(2000);
});

test("a sink needs exactly one target; secrets are at least 16 characters", () => {
  expect(SinkConfigSchema.safeParse({ url: "https://x.test/h" }).success).toBe(true);
  expect(SinkConfigSchema.safeParse({}).success).toBe(false);
  expect(SinkConfigSchema.safeParse({ url: "https://x.test/h", plugin: "p" }).success).toBe(false);
  expect(SinkConfigSchema.safeParse({ url: "ftp://x.test/h" }).success).toBe(false);
  expect(SinkConfigSchema.safeParse({ url: "https://x.test/h", secret: "short" }).success).toBe(false);
});
