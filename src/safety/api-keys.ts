import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  API_KEY_PATTERN,
  type ApiKeyRecord,
  allows,
  hashApiKey,
  type KeyScope,
  type Permission,
} from "../domain/api-key.ts";
import { DashError } from "../domain/errors.ts";
import { newId } from "../domain/ids.ts";
import type { Store } from "../storage/store.ts";

/**
 * API keys (DESIGN.md §5): `dash_api_key_<32 base64url>`, stored only as SHA-256, shown once.
 * Permissions nest (domain/api-key.ts `allows`): admin can do what write can, write what read can.
 */
/** last_used_at is written at most this often per key, so reads do not become writes. */
const TOUCH_EVERY_MS = 60_000;

export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `dash_api_key_${Buffer.from(bytes).toString("base64url")}`;
}

export async function createApiKey(
  store: Store,
  input: { name: string; permissions: Permission[]; expiresAt?: number | null; scope?: KeyScope | null },
  now = Date.now(),
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = generateApiKey();
  const record: ApiKeyRecord = {
    id: newId(now),
    name: input.name,
    keyHash: hashApiKey(key),
    permissions: input.permissions,
    createdAt: now,
    lastUsedAt: null,
    expiresAt: input.expiresAt ?? null,
    isActive: true,
    scope: input.scope ?? null,
  };
  await store.insertApiKey(record);
  return { key, record };
}

const unauthorized = (message: string) => new DashError("UNAUTHORIZED", message);

const MISSING = "Missing API key: send Authorization: Bearer dash_api_key_…";

/**
 * The key of an `Authorization` header: the scheme must be Bearer, in any case (RFC 7235: schemes
 * are case-insensitive); no scheme, or another one, is refused rather than guessed at.
 */
export function bearerKey(header: string | null | undefined): string {
  if (!header) throw unauthorized(MISSING);
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) throw unauthorized("Unsupported Authorization: send Authorization: Bearer dash_api_key_…");
  return match[1] as string;
}

/**
 * Checks an `Authorization: Bearer …` header and the permission a route needs. Missing, malformed,
 * unknown, revoked and expired keys are 401; a valid key without the permission is 403.
 */
export async function authenticate(
  store: Store,
  authorization: string | null | undefined,
  required: Permission,
  now = Date.now(),
  options: { endedAgent?: boolean } = {},
): Promise<ApiKeyRecord> {
  return authenticateKey(store, bearerKey(authorization), required, now, options);
}

/**
 * Checks a bare key, from where keys travel without a scheme: the WebSocket's `?token=` and
 * subprotocol, the model gateway's `x-api-key` (Anthropic's header).
 */
export async function authenticateKey(
  store: Store,
  token: string | null | undefined,
  required: Permission,
  now = Date.now(),
  options: { endedAgent?: boolean } = {},
): Promise<ApiKeyRecord> {
  if (!token) throw unauthorized(MISSING);
  if (!API_KEY_PATTERN.test(token))
    throw unauthorized("Malformed API key: expected dash_api_key_<32 characters>");
  const key = await store.findApiKeyByHash(hashApiKey(token));
  if (!key) throw unauthorized("Invalid API key");
  // An agent's key is revoked when its attempt ends; a report of money it spent before that may
  // still arrive (a burst, a slow request) and is taken, never lost: only on such routes.
  if (!key.isActive && !(options.endedAgent && key.scope?.agentId))
    throw unauthorized("API key has been revoked");
  if (key.expiresAt !== null && key.expiresAt <= now) throw unauthorized("API key has expired");
  if (!allows(key.permissions, required)) {
    throw new DashError("FORBIDDEN", `This API key lacks the "${required}" permission`, {
      required,
      granted: key.permissions,
    });
  }
  if (key.lastUsedAt === null || now - key.lastUsedAt >= TOUCH_EVERY_MS) {
    await store.updateApiKey(key.id, { lastUsedAt: now });
  }
  return key;
}

/** Keys listed in config.yaml (`api.keys`) are stored hashed; ones already present are left alone. */
export async function importConfigKeys(
  store: Store,
  keys: readonly { name: string; key: string; permissions: Permission[] }[],
  now = Date.now(),
): Promise<number> {
  let imported = 0;
  for (const entry of keys) {
    if (!API_KEY_PATTERN.test(entry.key)) {
      throw new DashError(
        "CONFIG_ERROR",
        `api.keys "${entry.name}": key must look like dash_api_key_<32 base64url chars>`,
      );
    }
    const keyHash = hashApiKey(entry.key);
    if (await store.findApiKeyByHash(keyHash)) continue;
    await store.insertApiKey({
      id: newId(now),
      name: entry.name,
      keyHash,
      permissions: entry.permissions,
      createdAt: now,
      lastUsedAt: null,
      expiresAt: null,
      isActive: true,
      scope: null,
    });
    imported++;
  }
  return imported;
}

/**
 * On a database with no keys at all, creates an admin key and saves it to DASH_HOME/credentials
 * (mode 0600) so the local CLI and dashboard work with no flags. Returns the raw key to print
 * once, or null when keys already exist.
 */
export async function ensureAdminKey(store: Store, home: string, url: string): Promise<string | null> {
  if ((await store.listApiKeys()).length > 0) return null;
  const { key } = await createApiKey(store, { name: "admin", permissions: ["admin"] });
  const path = join(home, "credentials");
  writeFileSync(path, `${JSON.stringify({ url, key }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return key;
}
