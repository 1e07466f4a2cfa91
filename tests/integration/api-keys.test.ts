import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { API_KEY_PATTERN, allows, hashApiKey } from "../../src/domain/api-key.ts";
import { DashError } from "../../src/domain/errors.ts";
import {
  authenticate,
  authenticateKey,
  createApiKey,
  ensureAdminKey,
  generateApiKey,
  importConfigKeys,
} from "../../src/safety/api-keys.ts";
import { testLifecycle } from "../helpers.ts";

const t = testLifecycle();
afterAll(() => t.close());

async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(DashError);
    return { status: (error as DashError).status, message: (error as DashError).message };
  }
  throw new Error("expected a refusal");
}

describe("API keys", () => {
  test("the first start creates one admin key, saved 0600 and stored only as a hash", async () => {
    const key = await ensureAdminKey(t.store, t.dir, "http://127.0.0.1:7373");
    expect(key).toMatch(API_KEY_PATTERN);
    const file = join(t.dir, "credentials");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: "http://127.0.0.1:7373", key });
    expect(JSON.stringify(await t.store.listApiKeys())).not.toContain(key as string);
    expect(await ensureAdminKey(t.store, t.dir, "x")).toBeNull();
    expect((await authenticate(t.store, `Bearer ${key}`, "admin")).name).toBe("admin");
  });

  test("keys are random and well-formed", () => {
    const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
    expect(keys.size).toBe(1000);
    for (const k of keys) expect(k).toMatch(API_KEY_PATTERN);
  });

  test("permissions nest: admin ⊇ write ⊇ read", () => {
    expect(allows(["admin"], "read")).toBe(true);
    expect(allows(["write"], "read")).toBe(true);
    expect(allows(["write"], "admin")).toBe(false);
    expect(allows(["read"], "write")).toBe(false);
    expect(allows([], "read")).toBe(false);
  });

  test("refusals: missing, malformed, unknown, revoked, expired → 401; under-privileged → 403", async () => {
    const now = Date.now();
    const { key: readKey } = await createApiKey(t.store, { name: "ro", permissions: ["read"] });
    const { key: revoked, record } = await createApiKey(t.store, { name: "old", permissions: ["admin"] });
    await t.store.updateApiKey(record.id, { isActive: false });
    const { key: expired } = await createApiKey(t.store, {
      name: "exp",
      permissions: ["admin"],
      expiresAt: now - 1,
    });
    expect(await refusal(authenticate(t.store, undefined, "read"))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/Missing/),
    });
    expect(await refusal(authenticate(t.store, "Bearer nope", "read"))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/Malformed/),
    });
    expect(await refusal(authenticate(t.store, `Bearer ${generateApiKey()}`, "read"))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/Invalid/),
    });
    expect(await refusal(authenticate(t.store, `Bearer ${revoked}`, "read"))).toMatchObject({
      message: expect.stringMatching(/revoked/),
    });
    expect(await refusal(authenticate(t.store, `Bearer ${expired}`, "read"))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/expired/),
    });
    expect(await refusal(authenticate(t.store, `Bearer ${readKey}`, "write"))).toMatchObject({
      status: 403,
      message: expect.stringMatching(/"write"/),
    });
    expect((await authenticate(t.store, `Bearer ${readKey}`, "read", now)).name).toBe("ro");
    // The scheme is case-insensitive (RFC 7235), and it is Bearer or nothing: no bare key, no other scheme.
    expect((await authenticate(t.store, `bearer ${readKey}`, "read", now)).name).toBe("ro");
    expect((await authenticate(t.store, `BEARER  ${readKey}`, "read", now)).name).toBe("ro");
    for (const header of [readKey, `Basic ${readKey}`, `Bearer${readKey}`, `Bearer ${readKey} x`]) {
      expect(await refusal(authenticate(t.store, header, "read"))).toMatchObject({
        status: 401,
        message: expect.stringMatching(/Authorization: Bearer/),
      });
    }
    expect((await authenticateKey(t.store, readKey, "read", now)).name).toBe("ro");
  });

  test("last_used_at is recorded, at most once a minute", async () => {
    const { key, record } = await createApiKey(t.store, { name: "touch", permissions: ["read"] });
    await authenticateKey(t.store, key, "read", 1_000_000);
    await authenticateKey(t.store, key, "read", 1_030_000);
    expect((await t.store.findApiKeyByHash(record.keyHash))?.lastUsedAt).toBe(1_000_000);
    await authenticateKey(t.store, key, "read", 1_061_000);
    expect((await t.store.findApiKeyByHash(record.keyHash))?.lastUsedAt).toBe(1_061_000);
  });

  test("config.yaml keys are imported hashed, once; a malformed one is refused", async () => {
    const key = generateApiKey();
    const keys = [{ name: "ci-cd", key, permissions: ["read", "write"] as ("read" | "write")[] }];
    expect(await importConfigKeys(t.store, keys)).toBe(1);
    expect(await importConfigKeys(t.store, keys)).toBe(0);
    expect((await t.store.findApiKeyByHash(hashApiKey(key)))?.permissions).toEqual(["read", "write"]);
    await expect(
      importConfigKeys(t.store, [{ name: "bad", key: "abc123", permissions: ["read"] }]),
    ).rejects.toThrow(/api.keys "bad"/);
  });
});
