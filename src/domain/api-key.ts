import { z } from "zod";

export const PermissionSchema = z.enum(["read", "write", "admin"]);
export type Permission = z.infer<typeof PermissionSchema>;

/** Permissions nest: admin can do what write can, write what read can. */
const RANK: Record<Permission, number> = { read: 1, write: 2, admin: 3 };

export function allows(granted: readonly Permission[], required: Permission): boolean {
  return granted.some((p) => RANK[p] >= RANK[required]);
}

/** `dash_api_key_` + 32 base64url characters (24 random bytes), DESIGN.md §5. */
export const API_KEY_PATTERN = /^dash_api_key_[A-Za-z0-9_-]{32}$/;
export const RawApiKeySchema = z
  .string()
  .regex(API_KEY_PATTERN, "must look like dash_api_key_<32 base64url chars>");

/** What an agent's own key may touch: reads, and spawning children in its swarm. */
export interface KeyScope {
  swarmId: string;
  agentId: string;
}

/** An api_keys row: only the SHA-256 of the key is ever stored. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  keyHash: string;
  permissions: Permission[];
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  isActive: boolean;
  /** Set on an agent's DASH_AGENT_TOKEN; null for operator keys. */
  scope: KeyScope | null;
}

export const ApiKeySchema = z.object({
  id: z.ulid(),
  name: z.string(),
  permissions: z.array(PermissionSchema),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  expiresAt: z.iso.datetime().nullable(),
  active: z.boolean(),
  /** An agent's own key: it reads, and spawns children only in this swarm. */
  scope: z.object({ swarmId: z.string(), agentId: z.string() }).nullable(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

export function toApiKeyResponse(key: ApiKeyRecord): ApiKey {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: key.id,
    name: key.name,
    permissions: key.permissions,
    createdAt: new Date(key.createdAt).toISOString(),
    lastUsedAt: iso(key.lastUsedAt),
    expiresAt: iso(key.expiresAt),
    active: key.isActive,
    scope: key.scope,
  };
}

export function hashApiKey(key: string): string {
  return new Bun.CryptoHasher("sha256").update(key).digest("hex");
}
