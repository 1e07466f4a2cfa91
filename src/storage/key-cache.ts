import type { ApiKeyRecord } from "../domain/api-key.ts";

/** How long a key read from the database is taken as it was: the bound on a revocation elsewhere. */
export const KEY_TTL_MS = 1_000;
const MAX_KEYS = 1_024;

/**
 * API keys by hash, as read from the database, for KEY_TTL_MS: every authenticated request looks
 * its key up, and on PostgreSQL that is a round trip. A change made through this store (revoked,
 * touched) drops the key at once; one made by another process or node (a revocation on another
 * server of the same PostgreSQL) is seen within KEY_TTL_MS. Unknown keys are never cached, so a
 * key created elsewhere works at once.
 */
export class KeyCache {
  private readonly keys = new Map<string, { key: ApiKeyRecord; until: number }>();

  constructor(
    private readonly ttlMs = KEY_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached key, or what `read` finds (kept when found). */
  async find(hash: string, read: () => Promise<ApiKeyRecord | null>): Promise<ApiKeyRecord | null> {
    const cached = this.keys.get(hash);
    if (cached && cached.until > this.now()) return cached.key;
    const key = await read();
    if (!key) {
      this.keys.delete(hash);
      return null;
    }
    if (this.keys.size >= MAX_KEYS) this.keys.clear();
    this.keys.set(hash, { key, until: this.now() + this.ttlMs });
    return key;
  }

  /** After a write to the key with this id: its next lookup reads the database. */
  forget(id: string): void {
    for (const [hash, { key }] of this.keys) if (key.id === id) this.keys.delete(hash);
  }
}
