import type { GatewaySettings } from "../src/api/gateway/gateway.ts";
import { Metrics } from "../src/api/metrics.ts";
import type { ApiDeps } from "../src/api/route.ts";
import { type ServerOptions, startServer } from "../src/api/server.ts";
import type { RuntimeCatalog } from "../src/core/runnable.ts";
import { ErrorResponseSchema } from "../src/domain/error-response.ts";
import { createLogger } from "../src/log.ts";
import { createApiKey } from "../src/safety/api-keys.ts";
import { testLifecycle } from "./helpers.ts";

/**
 * A real server on a random loopback port over a real SQLite file, with keys of every kind.
 * Rate limits are high unless a test asks for its own.
 */
export async function testServer(
  options: Partial<ServerOptions> = {},
  extra: {
    gateway?: GatewaySettings;
    runtimes?: RuntimeCatalog;
    nodeId?: string;
    notifier?: ApiDeps["notifier"];
  } = {},
) {
  const t = testLifecycle();
  const lines: string[] = [];
  const log = createLogger("debug", {}, (l) => lines.push(l));
  const { server, stop } = startServer(
    {
      store: t.store,
      lifecycle: t.lifecycle,
      log,
      startedAt: Date.now(),
      metrics: new Metrics(t.bus),
      home: t.dir,
      gateway: extra.gateway,
      runtimes: extra.runtimes,
      nodeId: extra.nodeId,
      notifier: extra.notifier,
    },
    {
      port: 0,
      hostname: "127.0.0.1",
      limits: { perMinute: 1_000_000, swarmCreatesPerMinute: 1_000_000 },
      ...options,
    },
  );
  const make = async (name: string, permissions: ("read" | "write" | "admin")[], expiresAt?: number) =>
    (await createApiKey(t.store, { name, permissions, expiresAt })).key;
  const revoked = await createApiKey(t.store, { name: "gone", permissions: ["admin"] });
  await t.store.updateApiKey(revoked.record.id, { isActive: false });
  const keys = {
    read: await make("reader", ["read"]),
    write: await make("writer", ["read", "write"]),
    admin: await make("admin", ["admin"]),
    revoked: revoked.key,
    expired: await make("expired", ["admin"], Date.now() - 1),
  };

  function call(
    method: string,
    path: string,
    key?: string,
    body?: unknown,
    init: { raw?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
    if (key) headers.authorization = `Bearer ${key}`;
    const payload = init.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    return fetch(new URL(path, server.url), {
      method,
      headers,
      body: method === "GET" ? undefined : payload,
    });
  }

  return {
    t,
    server,
    lines,
    keys,
    call,
    /** Calls and returns [status, parsed JSON]. */
    async json<T = unknown>(
      method: string,
      path: string,
      key?: string,
      body?: unknown,
    ): Promise<[number, T]> {
      const res = await call(method, path, key, body);
      return [res.status, (await res.json()) as T];
    },
    close: async () => {
      await stop(true);
      t.close();
    },
  };
}

export async function errorCode(res: Response): Promise<string> {
  return ErrorResponseSchema.parse(await res.json()).error.code;
}
