import { createHmac, timingSafeEqual } from "node:crypto";

/** A delivery as the receiver got it, its signature checked independently (node:crypto). */
export interface Received {
  eventId: string;
  type: string;
  attempt: number;
  body: Record<string, unknown>;
  raw: string;
  signed: boolean;
  at: number;
}

/** Dash-Signature `t=<s>,v1=<hex>`: HMAC-SHA256 over "<t>.<raw body>", compared in constant time. */
export function verifySignature(secret: string, header: string | null, raw: string): boolean {
  const parts = Object.fromEntries((header ?? "").split(",").map((p) => p.split("=", 2) as [string, string]));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac("sha256", secret).update(`${parts.t}.${raw}`).digest();
  const given = Buffer.from(parts.v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A webhook receiver on 127.0.0.1 that a test can take down (`down()`, `up()` on the same port),
 * make answer 500 (`failNext`), or make hang (`hang`). `unique()` is what a receiver keeps after
 * dropping repeats by Dash-Event-Id.
 */
export function notifyReceiver(secret: string) {
  const got: Received[] = [];
  const state = { failNext: 0, hang: false, port: 0, attempts: 0 };
  const start = (port: number) =>
    Bun.serve({
      hostname: "127.0.0.1",
      port,
      async fetch(request) {
        state.attempts++;
        const raw = await request.text();
        if (state.hang) return new Promise<Response>(() => {});
        if (state.failNext > 0) {
          state.failNext--;
          return new Response("try later", { status: 500 });
        }
        got.push({
          eventId: request.headers.get("dash-event-id") ?? "",
          type: request.headers.get("dash-event-type") ?? "",
          attempt: Number(request.headers.get("dash-delivery-attempt")),
          body: JSON.parse(raw) as Record<string, unknown>,
          raw,
          signed: verifySignature(secret, request.headers.get("dash-signature"), raw),
          at: Date.now(),
        });
        return new Response(null, { status: 204 });
      },
    });
  let server: ReturnType<typeof Bun.serve> | null = start(0);
  state.port = server.port as number;
  return {
    got,
    state,
    url: `http://127.0.0.1:${state.port}/hook`,
    unique: () => [...new Map(got.map((r) => [r.eventId, r])).values()],
    down: async () => {
      await server?.stop(true);
      server = null;
    },
    up: () => {
      server ??= start(state.port);
    },
    stop: async () => {
      await server?.stop(true);
      server = null;
    },
  };
}
