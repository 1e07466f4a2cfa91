import { z } from "zod";
import { ApiKeySchema, PermissionSchema, toApiKeyResponse } from "../../domain/api-key.ts";
import { DashError, notFound } from "../../domain/errors.ts";
import { LIMITS } from "../../domain/limits.ts";
import { ApiKeyListSchema, CreatedApiKeySchema } from "../../domain/wire.ts";
import { createApiKey } from "../../safety/api-keys.ts";
import { defineRoute } from "../route.ts";

const CreateKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(LIMITS.name),
    permissions: z.array(PermissionSchema).min(1).max(3),
    expiresAt: z.iso.datetime({ offset: true }).max(LIMITS.timestamp).optional(),
    expiresInDays: z.number().positive().max(36_500).optional(),
  })
  .refine((b) => !(b.expiresAt && b.expiresInDays), { message: "give expiresAt or expiresInDays, not both" });

export const keyRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/keys/self",
    permission: "read",
    summary: "The calling key itself (its permissions and scope): what a client may offer to do with it",
    response: ApiKeySchema,
    handler({ key }) {
      // Authenticated routes always have a key; the check keeps the type honest.
      if (!key) throw new DashError("UNAUTHORIZED", "No API key");
      return toApiKeyResponse(key);
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/keys",
    permission: "admin",
    summary: "List API keys (never the keys themselves)",
    response: ApiKeyListSchema,
    async handler({ deps }) {
      return { keys: (await deps.store.listApiKeys()).map(toApiKeyResponse) };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/keys",
    permission: "admin",
    summary: "Create an API key; the key is shown once, in this response",
    body: CreateKeyBody,
    response: CreatedApiKeySchema,
    status: 201,
    async handler({ body, deps }) {
      const now = Date.now();
      const expiresAt = body.expiresAt
        ? Date.parse(body.expiresAt)
        : body.expiresInDays
          ? now + body.expiresInDays * 86_400_000
          : null;
      if (expiresAt !== null && expiresAt <= now) {
        throw new DashError("VALIDATION_ERROR", "expiresAt is in the past", { field: "expiresAt" });
      }
      const { key, record } = await createApiKey(
        deps.store,
        { name: body.name, permissions: body.permissions, expiresAt },
        now,
      );
      deps.log.info("api key created", {
        keyId: record.id,
        name: record.name,
        permissions: record.permissions,
      });
      return { ...toApiKeyResponse(record), key };
    },
  }),
  defineRoute({
    method: "DELETE",
    path: "/api/keys/:id",
    permission: "admin",
    summary: "Revoke an API key (the last active admin key cannot be revoked)",
    response: ApiKeySchema,
    async handler({ params, deps }) {
      const keys = await deps.store.listApiKeys();
      const target = keys.find((k) => k.id === params.id);
      if (!target) throw notFound("api key", params.id as string);
      const now = Date.now();
      const admins = keys.filter(
        (k) => k.isActive && k.permissions.includes("admin") && (k.expiresAt === null || k.expiresAt > now),
      );
      if (admins.length === 1 && admins[0]?.id === target.id) {
        throw new DashError("CONFLICT", "This is the last active admin key: create another admin key first", {
          keyId: target.id,
        });
      }
      const revoked = await deps.store.updateApiKey(target.id, { isActive: false });
      deps.log.info("api key revoked", { keyId: target.id, name: target.name });
      return toApiKeyResponse(revoked ?? target);
    },
  }),
];
