import type { Server } from "bun";
import { DashError } from "../domain/errors.ts";
import { authenticate } from "../safety/api-keys.ts";
import { VERSION } from "../version.ts";
import { errorResponse, MAX_BODY_BYTES } from "./errors.ts";
import { type ApiDeps, json, type Route } from "./route.ts";
import { swarmRoutes } from "./routes/swarm.ts";

/** GET /health: the only unauthenticated route; it says whether the database answers. */
const healthRoute: Route = {
  method: "GET",
  path: "/health",
  permission: "public",
  handler({ deps }) {
    let database: "ok" | "error" = "ok";
    try {
      deps.store.db.query("SELECT 1").get();
    } catch {
      database = "error";
    }
    const body = {
      status: database === "ok" ? "ok" : "degraded",
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      database,
    };
    return json(body, database === "ok" ? 200 : 503);
  },
};

/** The route table. Every route declares its permission; a test walks this list. */
export const ROUTES: readonly Route[] = [healthRoute, ...swarmRoutes];

function patternOf(path: string): RegExp {
  return new RegExp(`^${path.replace(/:[a-zA-Z]+/g, "[^/]+")}$`);
}

/** Wraps a route: request id, authentication for its permission, and the one error handler. */
function wrap(route: Route, deps: ApiDeps) {
  return async (request: Request & { params?: Record<string, string> }) => {
    const requestId = request.headers.get("x-request-id") || crypto.randomUUID();
    try {
      const key =
        route.permission === "public"
          ? null
          : await authenticate(deps.store, request.headers.get("authorization"), route.permission);
      const ctx = { request, params: request.params ?? {}, url: new URL(request.url), key, deps, requestId };
      const response = await route.handler(ctx);
      response.headers.set("X-Request-Id", requestId);
      return response;
    } catch (error) {
      return errorResponse(error, deps.log, requestId);
    }
  };
}

export function startServer(deps: ApiDeps, options: { port: number; hostname: string }): Server<undefined> {
  const routes: Record<string, Record<string, ReturnType<typeof wrap>>> = {};
  for (const route of ROUTES) {
    routes[route.path] = { ...routes[route.path], [route.method]: wrap(route, deps) };
  }
  const patterns = ROUTES.map((r) => ({ pattern: patternOf(r.path), method: r.method }));
  return Bun.serve({
    port: options.port,
    hostname: options.hostname,
    maxRequestBodySize: MAX_BODY_BYTES + 1024,
    routes,
    fetch(request) {
      const path = new URL(request.url).pathname;
      const allowed = patterns.filter((p) => p.pattern.test(path)).map((p) => p.method);
      const requestId = crypto.randomUUID();
      if (allowed.length > 0) {
        const response = errorResponse(
          new DashError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}`, { allowed }),
          deps.log,
          requestId,
        );
        response.headers.set("Allow", allowed.join(", "));
        return response;
      }
      return errorResponse(
        new DashError("NOT_FOUND", `No route for ${request.method} ${path}`),
        deps.log,
        requestId,
      );
    },
    error(error) {
      return errorResponse(error, deps.log, crypto.randomUUID());
    },
  });
}
