import type { Lifecycle } from "../core/lifecycle.ts";
import type { ApiKeyRecord, Permission } from "../domain/api-key.ts";
import type { Logger } from "../log.ts";
import type { SqliteStore } from "../storage/sqlite.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiDeps {
  store: SqliteStore;
  lifecycle: Lifecycle;
  log: Logger;
  startedAt: number;
}

export interface RouteContext {
  request: Request;
  params: Record<string, string>;
  url: URL;
  /** The authenticated key; null only on public routes. */
  key: ApiKeyRecord | null;
  deps: ApiDeps;
  requestId: string;
}

/** One entry of the route table: every route declares the permission it needs ("public" = none). */
export interface Route {
  method: Method;
  path: string;
  permission: Permission | "public";
  handler: (ctx: RouteContext) => Response | Promise<Response>;
}

export const json = (body: unknown, status = 200): Response => Response.json(body, { status });
