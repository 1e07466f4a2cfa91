import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { API_KEY_PATTERN, ApiKeySchema, hashApiKey } from "../../src/domain/api-key.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import type { DashEvent } from "../../src/domain/event.ts";
import { newId } from "../../src/domain/ids.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import {
  CreatedApiKeySchema as CreatedKey,
  EventPageSchema as EventPage,
  ApiKeyListSchema as KeyList,
} from "../../src/domain/wire.ts";
import { testServer } from "../api-helpers.ts";

const api = await testServer();
const { t, keys } = api;
afterAll(() => api.close());

async function refused(res: Response, status: number, code: string) {
  const { error } = ErrorResponseSchema.parse(await res.json());
  expect([res.status, error.code]).toEqual([status, code]);
  return error;
}

async function events(query: string) {
  const res = await api.call("GET", `/api/events?${query}`, keys.read);
  expect(res.status).toBe(200);
  return EventPage.parse(await res.json());
}

const types = (list: DashEvent[]): string[] => list.map((e) => e.type);

describe("GET /api/events", () => {
  // One swarm before `mark` and `cut`, then one made, and paused, over HTTP.
  let mark = "";
  let cut = "";
  let id = "";
  beforeAll(async () => {
    await t.lifecycle.createSwarm({ name: "before", task: "t" });
    mark = (await t.store.listEvents()).at(-1)?.id as string;
    await Bun.sleep(3);
    cut = new Date().toISOString();
    await Bun.sleep(3);
    const body = { name: "after", task: "t", initialAgents: 3 };
    id = SwarmResponseSchema.parse(await (await api.call("POST", "/api/swarm", keys.write, body)).json()).id;
    await api.call("POST", `/api/swarm/${id}/pause`, keys.write, {});
  });
  const expected = [
    "swarm.created",
    "agent.spawned",
    "agent.spawned",
    "agent.spawned",
    "swarm.started",
    "swarm.paused",
  ];

  test("since an event id returns exactly the later events, in commit order", async () => {
    const after = await events(`since=${mark}`);
    expect(types(after.events)).toEqual(expected);
    expect(after.events.every((e) => e.id > mark)).toBe(true);
    expect(after.events.map((e) => e.id)).toEqual(after.events.map((e) => e.id).sort());
    expect(after.nextCursor).toBeNull();
  });

  test("since an ISO time returns the events at or after it", async () => {
    expect(types((await events(`since=${cut}`)).events)).toEqual(expected);
    expect(types((await events("since=2000-01-01T00:00:00Z")).events)).toEqual([
      "swarm.created",
      "agent.spawned",
      ...expected,
    ]);
  });

  test("type takes a comma-separated list and filters by it", async () => {
    const picked = await events(`since=${mark}&type=swarm.paused, swarm.created`);
    expect(types(picked.events)).toEqual(["swarm.created", "swarm.paused"]);
    expect(picked.events.every((e) => e.source === id)).toBe(true);
  });

  test("limit and cursor page through every event once, with a null cursor on the last page", async () => {
    const pages: DashEvent[][] = [];
    let cursor: string | null = null;
    do {
      const got = await events(`since=${mark}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      pages.push(got.events);
      cursor = got.nextCursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([3, 3]);
    expect(types(pages.flat())).toEqual(expected);
  });

  test("bad since, type, limit or cursor values are 400 VALIDATION_ERROR", async () => {
    for (const query of [
      "since=yesterday",
      "type=agent.exploded",
      "limit=0",
      "limit=1001",
      "cursor=x",
      "extra=1",
    ]) {
      await refused(await api.call("GET", `/api/events?${query}`, keys.read), 400, "VALIDATION_ERROR");
    }
  });
});

describe("/api/keys", () => {
  const create = (body: unknown) => api.call("POST", "/api/keys", keys.admin, body);
  const list = async () => KeyList.parse(await (await api.call("GET", "/api/keys", keys.admin)).json()).keys;

  test("a created key is shown once, works at once, and its list entry shows neither key nor hash", async () => {
    const res = await create({ name: "ci", permissions: ["read", "write"], expiresInDays: 1 });
    expect(res.status).toBe(201);
    const made = CreatedKey.parse(await res.json());
    expect(made).toMatchObject({
      name: "ci",
      permissions: ["read", "write"],
      active: true,
      lastUsedAt: null,
    });
    expect(made.key).toMatch(API_KEY_PATTERN);
    expect(Date.parse(made.expiresAt as string) - Date.now()).toBeGreaterThan(86_000_000);
    const swarm = await api.call("POST", "/api/swarm", made.key, { name: "by-ci", task: "t" });
    expect(swarm.status).toBe(201);
    const text = await (await api.call("GET", "/api/keys", keys.admin)).text();
    expect(text).not.toContain(made.key);
    expect(text).not.toContain(hashApiKey(made.key));
    const entry = (await list()).find((k) => k.id === made.id);
    expect(Object.keys(entry ?? {}).sort()).toEqual(Object.keys(ApiKeySchema.shape).sort());
    expect(entry?.lastUsedAt).not.toBeNull();
  });

  test("GET /api/keys/self shows the calling key itself: a read key may read only, an admin key anything", async () => {
    const self = async (key: string) =>
      ApiKeySchema.parse(await (await api.call("GET", "/api/keys/self", key)).json());
    expect(await self(keys.read)).toMatchObject({ name: "reader", permissions: ["read"], scope: null });
    expect(await self(keys.write)).toMatchObject({ name: "writer", permissions: ["read", "write"] });
    expect((await self(keys.admin)).permissions).toEqual(["admin"]);
    const text = await (await api.call("GET", "/api/keys/self", keys.read)).text();
    expect(text).not.toContain(keys.read);
    await refused(await api.call("GET", "/api/keys/self"), 401, "UNAUTHORIZED");
  });

  test("a revoked key is refused with 401 from then on", async () => {
    const made = CreatedKey.parse(await (await create({ name: "tmp", permissions: ["read"] })).json());
    expect((await api.call("GET", "/api/swarm", made.key)).status).toBe(200);
    const res = await api.call("DELETE", `/api/keys/${made.id}`, keys.admin);
    expect(ApiKeySchema.parse(await res.json())).toMatchObject({ id: made.id, active: false });
    await refused(await api.call("GET", "/api/swarm", made.key), 401, "UNAUTHORIZED");
    expect((await list()).find((k) => k.id === made.id)?.active).toBe(false);
    await refused(await api.call("DELETE", `/api/keys/${newId()}`, keys.admin), 404, "NOT_FOUND");
  });

  test("refuses an expiry in the past or given twice, and a key with no permission (400)", async () => {
    const past = { name: "old", permissions: ["read"], expiresAt: "2000-01-01T00:00:00Z" };
    await refused(await create(past), 400, "VALIDATION_ERROR");
    await refused(await create({ name: "x", permissions: [] }), 400, "VALIDATION_ERROR");
    const both = { name: "x", permissions: ["read"], expiresInDays: 1, expiresAt: "2999-01-01T00:00:00Z" };
    await refused(await create(both), 400, "VALIDATION_ERROR");
  });

  test("the last active admin key cannot be revoked (409); once another exists it can", async () => {
    const admin = (await list()).find((k) => k.name === "admin" && k.active);
    const first = await refused(
      await api.call("DELETE", `/api/keys/${admin?.id}`, keys.admin),
      409,
      "CONFLICT",
    );
    expect(first.details).toMatchObject({ keyId: admin?.id });
    expect((await api.call("GET", "/api/keys", keys.admin)).status).toBe(200);
    const second = CreatedKey.parse(await (await create({ name: "admin2", permissions: ["admin"] })).json());
    const gone = await api.call("DELETE", `/api/keys/${admin?.id}`, second.key);
    expect(ApiKeySchema.parse(await gone.json()).active).toBe(false);
    await refused(await api.call("GET", "/api/keys", keys.admin), 401, "UNAUTHORIZED");
    await refused(await api.call("DELETE", `/api/keys/${second.id}`, second.key), 409, "CONFLICT");
  });
});
