import { expect, test } from "bun:test";
import type { ApiKeyRecord } from "../../src/domain/api-key.ts";
import { KeyCache } from "../../src/storage/key-cache.ts";

const key = (id: string, isActive = true): ApiKeyRecord => ({
  id,
  name: id,
  keyHash: `hash-${id}`,
  permissions: ["read"],
  createdAt: 0,
  lastUsedAt: null,
  expiresAt: null,
  isActive,
  scope: null,
});

test("a key is read once per TTL; after it, or after forget(id), the database is read again", async () => {
  let now = 1_000;
  const cache = new KeyCache(1_000, () => now);
  let reads = 0;
  let stored = key("a");
  const read = async () => {
    reads++;
    return stored;
  };
  expect(await cache.find("hash-a", read)).toEqual(key("a"));
  expect(await cache.find("hash-a", read)).toEqual(key("a"));
  expect(reads).toBe(1);
  // Revoked by another node: seen once the TTL has passed.
  stored = key("a", false);
  now += 999;
  expect((await cache.find("hash-a", read))?.isActive).toBe(true);
  now += 1;
  expect((await cache.find("hash-a", read))?.isActive).toBe(false);
  expect(reads).toBe(2);
  // Changed through this store: at once.
  stored = key("a", true);
  cache.forget("a");
  expect((await cache.find("hash-a", read))?.isActive).toBe(true);
  expect(reads).toBe(3);
});

test("unknown keys are not cached, so a key created meanwhile works at once", async () => {
  const cache = new KeyCache();
  let stored: ApiKeyRecord | null = null;
  const read = async () => stored;
  expect(await cache.find("hash-b", read)).toBeNull();
  stored = key("b");
  expect(await cache.find("hash-b", read)).toEqual(key("b"));
});

test("the cache is bounded: past 1,024 keys it starts over, and every key is still found", async () => {
  const cache = new KeyCache();
  for (let i = 0; i < 1_100; i++) {
    const k = key(String(i));
    expect(await cache.find(k.keyHash, async () => k)).toEqual(k);
  }
  let reads = 0;
  await cache.find("hash-5", async () => {
    reads++;
    return key("5");
  });
  expect(reads).toBe(1);
});
