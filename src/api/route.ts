import type { Server } from "bun";
import type { z } from "zod";
import type { Lifecycle } from "../core/lifecycle.ts";
import type { RuntimeCatalog } from "../core/runnable.ts";
import type { ApiKeyRecord, Permission } from "../domain/api-key.ts";
import type { Logger } from "../log.ts";
import type { SandboxSettings } from "../safety/sandbox-plan.ts";
import type { StoreKind } from "../storage/open.ts";
import type { Store } from "../storage/store.ts";
import type { GatewaySettings } from "./gateway/gateway.ts";
import type { Metrics } from "./metrics.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiDeps {
  store: Store;
  /** Which database the store is (GET /health says it); SQLite when not given. */
  storeKind?: StoreKind;
  /** This server's node id (GET /health, `dash nodes`). */
  nodeId?: string;
  lifecycle: Lifecycle;
  log: Logger;
  startedAt: number;
  metrics: Metrics;
  /** DASH_HOME: agents' output logs live under it. */
  home: string;
  /** What granted paths are checked against (default: DASH_HOME protected). */
  sandbox?: SandboxSettings;
  /** The metering model gateway's providers and prices (none: /gateway/ answers that none is set up). */
  gateway?: GatewaySettings;
  /** The runtimes agents may use: a swarm whose program is not installed is refused at once. */
  runtimes?: RuntimeCatalog;
  /** Re-reads the sinks after the API changed them, and delivers what is due. */
  notifier?: { refresh(): Promise<void>; wake(): void };
}

export interface RouteContext<Q = unknown, B = unknown> {
  request: Request;
  params: Record<string, string>;
  url: URL;
  /** The query string, parsed by the route's `query` schema. */
  query: Q;
  /** The JSON body, parsed by the route's `body` schema. */
  body: B;
  /** The authenticated key; null only on public routes. */
  key: ApiKeyRecord | null;
  deps: ApiDeps;
  requestId: string;
  /** To lift the idle timeout of a response that streams (a followed log). */
  server: Pick<Server<unknown>, "timeout">;
}

/**
 * One entry of the route table. Every route declares the permission it needs ("public" = none),
 * the schemas of its query, body and response (they also make the OpenAPI document), and a
 * handler that returns the response body (or a whole Response when it must pick the status).
 */
export interface Route<Q = unknown, B = unknown> {
  method: Method;
  path: string;
  permission: Permission | "public";
  summary: string;
  /** An agent's scoped key may call this write route (the handler checks the scope). */
  agentScoped?: boolean;
  /** Its agent's key still works after the attempt ended (usage: money spent is never refused). */
  acceptsEndedAgent?: boolean;
  /** Which extra rate limit applies besides the general one. */
  limit?: "swarmCreate";
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response: z.ZodType;
  /** Status of a successful answer (200 unless said). */
  status?: number;
  handler: (ctx: RouteContext<Q, B>) => unknown;
}

/** Keeps the handler's query and body types tied to the route's schemas. */
export function defineRoute<Q = undefined, B = undefined>(route: Route<Q, B>): Route {
  return route as Route;
}
