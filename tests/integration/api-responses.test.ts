import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ROUTES } from "../../src/api/server.ts";
import { branchFor, git } from "../../src/core/worktrees.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { ERROR_STATUS, type ErrorCode } from "../../src/domain/errors.ts";
import { newId } from "../../src/domain/ids.ts";
import { sinkRecord } from "../../src/notify/sinks.ts";
import { createApiKey } from "../../src/safety/api-keys.ts";
import { testServer } from "../api-helpers.ts";

const api = await testServer();
const { t, keys } = api;
const scratch: string[] = [];
afterAll(() => {
  api.close();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** What one valid request needs, built from state the case creates first. */
interface Built {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  /** Extra checks on the raw response text. */
  check?: (text: string) => void;
}
interface Case {
  key: keyof typeof keys | null;
  build: () => Promise<Built>;
}

async function liveSwarm(initialAgents = 2) {
  const { swarm, agents } = await t.lifecycle.createSwarm({ name: "resp", task: "answer", initialAgents });
  await t.lifecycle.moveSwarm(swarm.id, { to: "active" });
  const first = agents[0];
  if (!first) throw new Error("the swarm has no agent");
  return { id: swarm.id, agentId: first.id };
}

async function agentIn(status: "idle" | "running" | "paused") {
  const { agentId } = await liveSwarm(1);
  if (status === "idle") return agentId;
  await t.lifecycle.moveAgent(agentId, { to: "spawning" });
  await t.lifecycle.moveAgent(agentId, { to: "running" });
  if (status === "paused") await t.lifecycle.moveAgent(agentId, { to: "paused" });
  return agentId;
}

/** A pending approval request about a running agent (which it pauses). */
async function asked() {
  const approval = await t.lifecycle.requestApproval({
    kind: "agent",
    agentId: await agentIn("running"),
    title: "ship it?",
    timeoutSeconds: 60,
  });
  return { params: { id: approval.id } };
}

/** A swarm with a repository; its agent's branch exists (no worktree: not started). */
async function repoSwarm() {
  const repo = mkdtempSync(join(tmpdir(), "dash-resp-repo-"));
  scratch.push(repo);
  git(["init", "-q"], repo);
  git(["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "base"], repo);
  const baseRef = git(["rev-parse", "HEAD"], repo);
  const { swarm, agents } = await t.lifecycle.createSwarm({
    name: "wt",
    task: "t",
    initialAgents: 1,
    config: { repo, baseRef },
  });
  const agent = agents[0] as (typeof agents)[number];
  git(["branch", branchFor("wt", agent.name), baseRef], repo);
  return { swarmId: swarm.id, agentId: agent.id };
}

const swarmId = async () => ({ params: { id: (await liveSwarm()).id } });
const agentId = (status: "idle" | "running" | "paused") => async () => ({
  params: { id: await agentIn(status) },
});

const OpenApiSchema = z.object({
  openapi: z.literal("3.1.0"),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/** One valid request per route of the table, keyed `METHOD /path`. */
const CASES: Record<string, Case> = {
  "GET /health": { key: null, build: async () => ({}) },
  "GET /api/nodes": {
    key: "read",
    build: async () => {
      const now = Date.now();
      await api.t.store.heartbeatNode({
        id: "node-a",
        name: "a",
        url: null,
        version: "t",
        startedAt: now,
        heartbeatAt: now,
      });
      return {};
    },
  },
  "POST /api/swarm": {
    key: "write",
    build: async () => ({ body: { name: "made", task: "t", initialAgents: 2, budget: { amount: 5 } } }),
  },
  "GET /api/swarm": { key: "read", build: async () => ({ query: "status=active", ...(await swarmId()) }) },
  "GET /api/swarm/:id": { key: "read", build: swarmId },
  "DELETE /api/swarm/:id": { key: "write", build: swarmId },
  "POST /api/swarm/:id/scale": {
    key: "write",
    build: async () => ({ ...(await swarmId()), body: { target: 3 } }),
  },
  "POST /api/swarm/:id/pause": { key: "write", build: async () => ({ ...(await swarmId()), body: {} }) },
  "POST /api/swarm/:id/resume": {
    key: "write",
    build: async () => {
      const { id } = await liveSwarm();
      await t.lifecycle.moveSwarm(id, { to: "paused" });
      return { params: { id }, body: { reason: "back to work" } };
    },
  },
  "GET /api/agents": {
    key: "read",
    build: async () => ({ query: `swarmId=${(await liveSwarm(3)).id}&limit=2` }),
  },
  "POST /api/agents": { key: "write", build: async () => ({ body: { swarmId: (await liveSwarm()).id } }) },
  "GET /api/agents/:id": { key: "read", build: agentId("idle") },
  "GET /api/agents/:id/logs": {
    key: "read",
    build: async () => ({ ...(await agentId("idle")()), query: "tail=5" }),
  },
  "GET /api/agents/:id/calls": {
    key: "read",
    // One call through the write path the gateway uses: admitted, then settled.
    build: async () => {
      const id = await agentIn("running");
      const swarmId = (await t.store.getAgent(id))?.swarmId as string;
      const draft = {
        ...{ id: newId(Date.now()), agentId: id, swarmId, provider: "p", api: "openai-chat" as const },
        ...{ model: "gpt-5.5", stream: false, requestedMaxTokens: 10, startedAt: Date.now() },
      };
      const ask = {
        inputBound: 10,
        requestedMaxTokens: 10,
        floorTokens: 1,
        price: { input: 1, output: 1 },
        cacheWrite: false,
      };
      const { result } = await t.lifecycle.admitCall(draft, ask, false);
      await t.lifecycle.settleCall(result?.call.id as string, {
        ...{ status: "settled", promptTokens: 5, completionTokens: 3, costMicros: 8 },
        ...{ httpStatus: 200, error: null, firstByteMs: 1, latencyMs: 2 },
      });
      return { params: { id }, query: "limit=5" };
    },
  },
  "GET /api/agents/:id/diff": {
    key: "read",
    build: async () => ({ params: { id: (await repoSwarm()).agentId } }),
  },
  "POST /api/swarm/:id/merge": {
    key: "write",
    // Nothing completed yet: up to date, the agent listed as skipped.
    build: async () => ({ params: { id: (await repoSwarm()).swarmId }, body: { into: "review" } }),
  },
  "DELETE /api/agents/:id": { key: "write", build: agentId("running") },
  "POST /api/agents/:id/pause": { key: "write", build: agentId("running") },
  "POST /api/agents/:id/resume": { key: "write", build: agentId("paused") },
  "POST /api/agents/:id/usage": {
    key: "write",
    build: async () => ({
      ...(await agentId("running")()),
      body: { promptTokens: 10, completionTokens: 5, costUsd: 0.01 },
    }),
  },
  "POST /api/agents/:id/progress": {
    key: "write",
    build: async () => ({ ...(await agentId("running")()), body: { current: 1, total: 4 } }),
  },
  "GET /api/events": {
    key: "read",
    build: async () => ({ query: "type=swarm.created,agent.spawned&limit=3" }),
  },
  "GET /api/budget": { key: "read", build: async () => ({ query: `swarmId=${(await liveSwarm()).id}` }) },
  "POST /api/budget/allocate": {
    key: "write",
    build: async () => ({ body: { swarmId: (await liveSwarm()).id, amount: 2.5 } }),
  },
  "GET /api/approvals": {
    key: "read",
    build: async () => ({ ...(await asked()), query: "status=pending" }),
  },
  "GET /api/approvals/:id": { key: "read", build: async () => ({ ...(await asked()), query: "wait=0" }) },
  "POST /api/approvals": {
    key: "write",
    build: async () => ({
      body: { agentId: await agentIn("running"), title: "deploy?", details: { env: "prod" } },
    }),
  },
  "POST /api/approvals/:id/approve": { key: "write", build: async () => ({ ...(await asked()), body: {} }) },
  "POST /api/approvals/:id/deny": {
    key: "write",
    build: async () => ({ ...(await asked()), body: { reason: "not now" } }),
  },
  "GET /api/approvals/rules": { key: "admin", build: async () => ({}) },
  "POST /api/approvals/rules": {
    key: "admin",
    build: async () => ({ body: { action: "approve", match: `run tests ${newId()}*` } }),
  },
  "DELETE /api/approvals/rules/:id": {
    key: "admin",
    build: async () => {
      const [, rule] = await api.json<{ id: string }>("POST", "/api/approvals/rules", keys.admin, {
        action: "deny",
        match: `drop ${newId()}`,
      });
      return { params: { id: rule.id } };
    },
  },
  "GET /api/notifications": {
    key: "admin",
    build: async () => {
      await t.store.notifications.putSink(
        sinkRecord("listed", { url: "http://127.0.0.1:9/", format: "json" }, "api", 1),
      );
      await liveSwarm(1);
      return { query: "status=pending&limit=5" };
    },
  },
  "POST /api/notifications/retry": { key: "admin", build: async () => ({ body: { dead: true } }) },
  "GET /api/notifications/sinks": { key: "admin", build: async () => ({}) },
  "POST /api/notifications/sinks": {
    key: "admin",
    build: async () => ({
      body: { name: "made", url: "https://example.com/hook", secret: "0123456789abcdef" },
    }),
  },
  "DELETE /api/notifications/sinks/:name": {
    key: "admin",
    build: async () => {
      await t.store.notifications.putSink(
        sinkRecord("doomed", { url: "http://127.0.0.1:9/", format: "json" }, "api", 1),
      );
      return { params: { name: "doomed" } };
    },
  },
  "GET /api/keys": { key: "admin", build: async () => ({}) },
  "GET /api/keys/self": { key: "read", build: async () => ({}) },
  "POST /api/keys": { key: "admin", build: async () => ({ body: { name: "ci", permissions: ["read"] } }) },
  "DELETE /api/keys/:id": {
    key: "admin",
    build: async () => ({
      params: { id: (await createApiKey(t.store, { name: "x", permissions: ["read"] })).record.id },
    }),
  },
  "GET /metrics": {
    key: "read",
    build: async () => {
      const { id, agentId } = await liveSwarm(1);
      await t.lifecycle.recordUsage(agentId, { promptTokens: 10, completionTokens: 5, costUsd: 0.25 });
      await api.call("GET", "/health");
      return {
        check: (text) => {
          expect(text).toMatch(
            /^dash_http_request_duration_seconds_bucket\{method="GET",route="\/health",status="200",le="0.005"\} \d+$/m,
          );
          expect(text).toMatch(/^dash_agents\{status="idle"\} \d+$/m);
          expect(text).toMatch(/^dash_swarms\{status="active"\} \d+$/m);
          expect(text).toMatch(/^dash_events_total\{type="swarm.created"\} \d+$/m);
          expect(text).toContain(`dash_swarm_spent{swarm_id="${id}",swarm="resp",currency="USD"} 0.25\n`);
        },
      };
    },
  },
  "GET /api/openapi.json": {
    key: "read",
    build: async () => ({
      check: (text) => {
        const doc = OpenApiSchema.parse(JSON.parse(text));
        for (const route of ROUTES) {
          const path = route.path.replace(/:([a-zA-Z]+)/g, "{$1}");
          expect(doc.paths[path]?.[route.method.toLowerCase()]).toBeDefined();
        }
        expect(Object.keys(doc.paths).filter((p) => p.includes(":"))).toEqual([]);
      },
    }),
  },
};

const nameOf = (route: { method: string; path: string }) => `${route.method} ${route.path}`;
const fill = (path: string, params: Record<string, string> = {}) =>
  path.replace(/:([a-zA-Z]+)/g, (_, name: string) => params[name] ?? "");

describe("every response of every route parses with its zod response schema", () => {
  test("the table has exactly one case per route of ROUTES", () => {
    expect(Object.keys(CASES).sort()).toEqual(ROUTES.map(nameOf).sort());
  });

  for (const route of ROUTES) {
    test(`${nameOf(route)} answers ${route.status ?? 200} with exactly what its response schema declares`, async () => {
      const c = CASES[nameOf(route)];
      if (!c) throw new Error(`no case for ${nameOf(route)}`);
      const built = await c.build();
      const path = fill(route.path, built.params) + (built.query ? `?${built.query}` : "");
      const res = await api.call(route.method, path, c.key ? keys[c.key] : undefined, built.body);
      const text = await res.text();
      if (res.status >= 400)
        throw new Error(`${res.status}: ${ErrorResponseSchema.parse(JSON.parse(text)).error.message}`);
      expect(res.status).toBe(route.status ?? 200);
      const json = res.headers.get("content-type")?.startsWith("application/json");
      const body: unknown = json ? JSON.parse(text) : text;
      // Equal after parsing: the body has no field the schema does not declare (zod strips those).
      expect(route.response.parse(body)).toEqual(body);
      built.check?.(text);
    });
  }

  test("every route's refusal parses with ErrorResponseSchema and has the status of its code", async () => {
    for (const route of ROUTES.filter((r) => r.permission !== "public")) {
      const id = newId();
      const [path, body, key, code] = route.body
        ? [fill(route.path, { id }), { bogus: true }, keys.admin, "VALIDATION_ERROR"]
        : route.query
          ? [`${route.path}?bogus=1`, undefined, keys.admin, "VALIDATION_ERROR"]
          : route.path.includes(":")
            ? [fill(route.path, { id }), undefined, keys.admin, "NOT_FOUND"]
            : [route.path, undefined, undefined, "UNAUTHORIZED"];
      const res = await api.call(route.method, path, key, body);
      const parsed = ErrorResponseSchema.parse(await res.json());
      expect([nameOf(route), parsed.error.code]).toEqual([nameOf(route), code]);
      expect(res.status).toBe(ERROR_STATUS[code as ErrorCode]);
      expect(res.headers.get("x-request-id")).toBeTruthy();
    }
  });
});
