import { z } from "zod";
import { HealthSchema, NodeListSchema } from "../../domain/wire.ts";
import { VERSION } from "../../version.ts";
import { openApiDocument } from "../openapi.ts";
import { defineRoute, type Route } from "../route.ts";

/** GET /health: the only unauthenticated route; it says whether the database answers. */
export const healthRoute = defineRoute({
  method: "GET",
  path: "/health",
  permission: "public",
  summary: "Health check: server version, uptime and database status",
  response: HealthSchema,
  async handler({ deps }) {
    const database: "ok" | "error" = await deps.store.ping().then(
      () => "ok" as const,
      () => "error" as const,
    );
    const body = {
      status: database === "ok" ? "ok" : "degraded",
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      database,
      store: deps.storeKind ?? "sqlite",
      ...(deps.nodeId ? { node: deps.nodeId } : {}),
    };
    return Response.json(body, { status: database === "ok" ? 200 : 503 });
  },
});

/** GET /api/nodes: every node that served this database, its heartbeat's age and its live agents. */
export const nodesRoute = defineRoute({
  method: "GET",
  path: "/api/nodes",
  permission: "read",
  summary: "The nodes sharing this database: heartbeat age and the live agents each runs",
  response: NodeListSchema,
  async handler({ deps }) {
    const now = Date.now();
    const nodes = (await deps.store.listNodes()).map((n) => ({
      ...n,
      startedAt: new Date(n.startedAt).toISOString(),
      heartbeatAt: new Date(n.heartbeatAt).toISOString(),
      heartbeatAgeMs: Math.max(0, now - n.heartbeatAt),
      self: n.id === deps.nodeId,
    }));
    return { nodes };
  },
});

/** /metrics and /api/openapi.json; the latter reads the route table it is part of, lazily. */
export function metaRoutes(table: () => readonly Route[]): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/metrics",
      permission: "read",
      summary:
        "Prometheus metrics: this server (version, store, node), request durations, agents and swarms by status, events, spend, notifications",
      response: z.string(),
      async handler({ deps }) {
        const about = {
          store: deps.storeKind ?? "sqlite",
          node: deps.nodeId ?? "",
          notifications: await deps.store.notifications.notificationCounts(),
        };
        return new Response(deps.metrics.render(await deps.store.metricsSnapshot(), deps.lifecycle, about), {
          headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/openapi.json",
      permission: "read",
      summary: "This API as an OpenAPI 3.1 document",
      response: z.record(z.string(), z.unknown()),
      handler: () => openApiDocument(table()),
    }),
  ];
}
