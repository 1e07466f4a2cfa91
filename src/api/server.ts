import type { Server } from "bun";
import { DashError } from "../domain/errors.ts";
import type { Logger } from "../log.ts";
import type { SqliteStore } from "../storage/sqlite.ts";
import { VERSION } from "../version.ts";

export interface ServerDeps {
  store: SqliteStore;
  log: Logger;
  startedAt?: number;
}

/** GET /health: the only unauthenticated route; it says whether the database answers. */
function health({ store, startedAt }: ServerDeps): Response {
  let database: "ok" | "error" = "ok";
  try {
    store.db.query("SELECT 1").get();
  } catch {
    database = "error";
  }
  const status = database === "ok" ? "ok" : "degraded";
  const body = {
    status,
    version: VERSION,
    uptimeSeconds: Math.round((Date.now() - (startedAt ?? Date.now())) / 1000),
    database,
  };
  return Response.json(body, { status: database === "ok" ? 200 : 503 });
}

/** The HTTP server. The route table grows with the REST API; unknown routes get the PRD envelope. */
export function startServer(
  deps: ServerDeps,
  options: { port: number; hostname: string },
): Server<undefined> {
  const withDeps = { ...deps, startedAt: deps.startedAt ?? Date.now() };
  return Bun.serve({
    port: options.port,
    hostname: options.hostname,
    routes: {
      "/health": { GET: () => health(withDeps) },
    },
    fetch(request) {
      const path = new URL(request.url).pathname;
      return new DashError("NOT_FOUND", `No route for ${request.method} ${path}`).getResponse();
    },
    error(error) {
      deps.log.error("unhandled error", { error: String(error) });
      return new DashError("INTERNAL_ERROR", "Internal server error").getResponse();
    },
  });
}
