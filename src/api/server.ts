import type { Server } from "bun";
import { allows } from "../domain/api-key.ts";
import { DashError } from "../domain/errors.ts";
import { parseOrThrow } from "../domain/validate.ts";
import { authenticate } from "../safety/api-keys.ts";
import { Cors } from "./cors.ts";
import { errorResponse, readJson } from "./errors.ts";
import { gatewayHandler, NO_GATEWAY } from "./gateway/gateway.ts";
import { type Decision, RateLimitedError, RateLimiter, rateLimitHeaders } from "./rate-limit.ts";
import type { ApiDeps, Route } from "./route.ts";
import { agentCallRoutes } from "./routes/agent-calls.ts";
import { agentReportRoutes } from "./routes/agent-reports.ts";
import { agentRoutes } from "./routes/agents.ts";
import { approvalRoutes } from "./routes/approvals.ts";
import { budgetRoutes } from "./routes/budget.ts";
import { eventRoutes } from "./routes/events.ts";
import { keyRoutes } from "./routes/keys.ts";
import { logRoutes } from "./routes/logs.ts";
import { healthRoute, metaRoutes, nodesRoute } from "./routes/meta.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import { swarmRoutes } from "./routes/swarm.ts";
import { swarmMergeRoutes } from "./routes/swarm-merge.ts";
import { webUiRoutes } from "./web-ui.ts";
import { eventsWebSocket, publishEvents, type SocketData, upgradeEvents } from "./websocket.ts";

/** The route table. Every route declares its permission and schemas; tests walk this list. */
export const ROUTES: readonly Route[] = [
  healthRoute,
  nodesRoute,
  ...swarmRoutes,
  ...swarmMergeRoutes,
  ...agentRoutes,
  ...approvalRoutes,
  ...agentReportRoutes,
  ...agentCallRoutes,
  ...logRoutes,
  ...eventRoutes,
  ...budgetRoutes,
  ...keyRoutes,
  ...notificationRoutes,
  ...metaRoutes(() => ROUTES),
];

export interface ServerOptions {
  port: number;
  hostname: string;
  /** Requests per minute per key (per IP for unauthenticated attempts), and swarm creations. */
  limits?: { perMinute: number; swarmCreatesPerMinute: number };
  corsOrigins?: readonly string[];
  /** The rate limiters' clock (epoch ms); tests pass a fixed one. */
  clock?: () => number;
  /** WS /events: ping interval, and the send buffer past which a slow client is closed. */
  websocket?: { heartbeatMs: number; maxBufferBytes: number };
  /** Serve the web dashboard at `/` and `/ui/*` (config `ui.enabled`, `--no-ui`); off when omitted. */
  ui?: boolean;
}

type BunRequest = Request & { params?: Record<string, string> };

interface Limiters {
  keys: RateLimiter;
  /** Separate from keys, so many addresses failing cannot evict a throttled key's bucket. */
  ips: RateLimiter;
  swarmCreate: RateLimiter;
}

/**
 * Rate limits (DESIGN.md §5): failed authentication spends from the caller IP's bucket, and once
 * it is empty further failures are 429 instead of 401 (a valid key is never locked out by a
 * neighbour's bad script). A known key spends from its own bucket (and, for swarm creation, from
 * a stricter one). /health is never limited, so probes always work.
 */
async function authorize(
  route: Route,
  request: Request,
  ip: () => string,
  deps: ApiDeps,
  limiters: Limiters,
) {
  if (route.permission === "public") return { key: null, decision: null };
  let key: Awaited<ReturnType<typeof authenticate>>;
  try {
    // Identify the key first ("read" is what every key has), so refused requests are charged too.
    key = await authenticate(deps.store, request.headers.get("authorization"), "read", Date.now(), {
      endedAgent: route.acceptsEndedAgent,
    });
  } catch (error) {
    if (!(error instanceof DashError) || error.code !== "UNAUTHORIZED") throw error;
    const byIp = limiters.ips.take(ip());
    throw byIp.allowed ? error : new RateLimitedError(byIp, "failed authentication attempts");
  }
  const general = limiters.keys.take(key.id);
  if (!general.allowed) throw new RateLimitedError(general, "requests");
  if (!allows(key.permissions, route.permission)) {
    throw new DashError("FORBIDDEN", `This API key lacks the "${route.permission}" permission`, {
      required: route.permission,
      granted: key.permissions,
    });
  }
  if (key.scope && route.method !== "GET" && !route.agentScoped) {
    throw new DashError("FORBIDDEN", "An agent's key can only read, and spawn agents in its own swarm", {
      scope: key.scope,
    });
  }
  if (route.limit !== "swarmCreate") return { key, decision: general };
  const creates = limiters.swarmCreate.take(key.id);
  if (!creates.allowed) throw new RateLimitedError(creates, "swarm creations");
  return { key, decision: creates };
}

/** The caller's X-Request-Id when it sent a sane one, else a new id. */
function requestIdOf(request: Request): string {
  const header = request.headers.get("x-request-id");
  return header && header.length <= 200 ? header : crypto.randomUUID();
}

/** Records one metric sample and returns the fields of the request's one log line. */
function record(
  deps: ApiDeps,
  request: Request,
  path: string,
  requestId: string,
  route: string,
  status: number,
  started: number,
) {
  const seconds = (performance.now() - started) / 1000;
  deps.metrics.observeRequest(request.method, route, status, seconds);
  return {
    requestId,
    method: request.method,
    path,
    route,
    status,
    ms: Math.round(seconds * 100_000) / 100,
  };
}

/** Wraps a route: request id, rate limit, authentication, schemas, metrics, logs, the one error handler. */
function wrap(route: Route, deps: ApiDeps, limiters: Limiters, cors: Cors) {
  return async (request: BunRequest, server: Server<SocketData>) => {
    const started = performance.now();
    const requestId = requestIdOf(request);
    const url = new URL(request.url);
    let response: Response;
    let decision: Decision | null = null;
    let keyName: string | undefined;
    try {
      // Only a failed authentication needs the caller's address (its rate limit bucket).
      const ip = () => server.requestIP(request)?.address ?? "unknown";
      const auth = await authorize(route, request, ip, deps, limiters);
      decision = auth.decision;
      keyName = auth.key?.name;
      const query = route.query
        ? parseOrThrow(route.query, Object.fromEntries(url.searchParams), "query")
        : {};
      const body = route.body ? parseOrThrow(route.body, await readJson(request), "body") : undefined;
      const params = request.params ?? {};
      const ctx = { request, params, url, query, body, key: auth.key, deps, requestId, server };
      const result = await route.handler(ctx);
      response = result instanceof Response ? result : Response.json(result, { status: route.status ?? 200 });
      response.headers.set("X-Request-Id", requestId);
    } catch (error) {
      if (error instanceof RateLimitedError) decision = error.decision;
      response = errorResponse(error, deps.log, requestId);
    }
    for (const [name, value] of Object.entries({
      ...cors.headersFor(request),
      ...(decision ? rateLimitHeaders(decision) : {}),
    })) {
      response.headers.set(name, value);
    }
    const fields = record(deps, request, url.pathname, requestId, route.path, response.status, started);
    deps.log.info("request", { ...fields, key: keyName });
    return response;
  };
}

function patternOf(path: string): RegExp {
  return new RegExp(`^${path.replace(/:[a-zA-Z]+/g, "[^/]+")}$`);
}

export interface DashServer {
  server: Server<SocketData>;
  /** Closes the event streams (1001), then lets HTTP requests in flight finish. */
  stop: (force?: boolean) => Promise<void>;
}

export function startServer(deps: ApiDeps, options: ServerOptions): DashServer {
  const limits = options.limits ?? { perMinute: 100, swarmCreatesPerMinute: 10 };
  const limiters = {
    keys: new RateLimiter({ perMinute: limits.perMinute }, options.clock),
    ips: new RateLimiter({ perMinute: limits.perMinute }, options.clock),
    swarmCreate: new RateLimiter({ perMinute: limits.swarmCreatesPerMinute }, options.clock),
  };
  const cors = new Cors(options.corsOrigins ?? []);
  const routes: Record<string, Record<string, ReturnType<typeof wrap>>> = {};
  for (const route of ROUTES) {
    routes[route.path] = { ...routes[route.path], [route.method]: wrap(route, deps, limiters, cors) };
  }
  const gateway = gatewayHandler(deps, deps.gateway ?? NO_GATEWAY);
  const patterns = ROUTES.map((r) => ({ pattern: patternOf(r.path), path: r.path, method: r.method }));
  const events = eventsWebSocket(
    deps,
    options.websocket ?? { heartbeatMs: 30_000, maxBufferBytes: 4 * 1024 * 1024 },
  );
  const server = Bun.serve<SocketData>({
    port: options.port,
    hostname: options.hostname,
    // Bun's own limit answers 413 with no body; keep it well above MAX_BODY_BYTES so readJson
    // (which stops reading there, and checks Content-Length first) answers in the PRD envelope.
    maxRequestBodySize: 1024 * 1024 * 1024,
    routes: { ...routes, "/gateway/*": gateway, ...(options.ui ? webUiRoutes() : {}) },
    // Requests no route takes: CORS preflights, 405 (with Allow) and 404. Logged like the others.
    websocket: events.handler,
    fetch(request, server) {
      if (new URL(request.url).pathname === "/events") return upgradeEvents(request, server, deps);
      const started = performance.now();
      const requestId = requestIdOf(request);
      const path = new URL(request.url).pathname;
      const matches = patterns.filter((p) => p.pattern.test(path));
      const allowed = matches.map((p) => p.method);
      let response: Response;
      if (request.method === "OPTIONS" && allowed.length > 0) {
        response = cors.preflight(request);
      } else {
        const error =
          allowed.length > 0
            ? new DashError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}`, { allowed })
            : new DashError("NOT_FOUND", `No route for ${request.method} ${path}`);
        response = errorResponse(error, deps.log, requestId);
        if (allowed.length > 0) response.headers.set("Allow", allowed.join(", "));
        for (const [name, value] of Object.entries(cors.headersFor(request))) {
          response.headers.set(name, value);
        }
      }
      response.headers.set("X-Request-Id", requestId);
      const route = matches[0]?.path ?? "unmatched";
      deps.log.info("request", record(deps, request, path, requestId, route, response.status, started));
      return response;
    },
    error(error) {
      return errorResponse(error, deps.log, crypto.randomUUID());
    },
  });
  const unpublish = publishEvents(server, deps, events);
  return {
    server,
    stop: async (force = false) => {
      unpublish();
      events.watch.closeAll();
      await server.stop(force);
    },
  };
}
