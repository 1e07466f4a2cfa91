import { afterAll, describe, expect, test } from "bun:test";
import { type DashEvent, EventSchema } from "../../src/domain/event.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { testServer } from "../api-helpers.ts";
import { until } from "../helpers.ts";

const api = await testServer();
afterAll(() => api.close());
const wsUrl = (query: string) => `${api.server.url.origin.replace("http", "ws")}/events${query}`;

interface Conn {
  ws: WebSocket;
  events: DashEvent[];
  controls: Record<string, unknown>[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}

function connect(query: string, init?: { headers?: Record<string, string>; protocols?: string[] }): Conn {
  const ws = new WebSocket(
    wsUrl(query),
    init?.protocols ?? (init?.headers ? ({ headers: init.headers } as never) : undefined),
  );
  const conn: Conn = {
    ws,
    events: [],
    controls: [],
    opened: new Promise((resolve) => ws.addEventListener("open", () => resolve())),
    closed: new Promise((resolve) =>
      ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
    ),
  };
  ws.addEventListener("message", (m) => {
    const body = JSON.parse(String(m.data)) as Record<string, unknown>;
    if ("op" in body) conn.controls.push(body);
    else conn.events.push(EventSchema.parse(body));
  });
  return conn;
}

const createSwarm = async (name: string, agents = 2) =>
  SwarmResponseSchema.parse(
    (await api.json("POST", "/api/swarm", api.keys.write, { name, task: "t", initialAgents: agents }))[1],
  );

describe("WS /events", () => {
  test("refusals are a close code and reason: no, bad or revoked token (4401), bad filter or since (4400)", async () => {
    for (const [query, code] of [
      ["", 4401],
      ["?token=dash_api_key_nope", 4401],
      [`?token=${api.keys.revoked}`, 4401],
      [`?token=${api.keys.read}&filter=agent.%3B`, 4400],
      [`?token=${api.keys.read}&since=yesterday`, 4400],
    ] as const) {
      const { code: got, reason } = await connect(query).closed;
      expect([query, got]).toEqual([query, code]);
      expect(reason.length).toBeGreaterThan(0);
    }
  });

  test("the token may come as ?token=, an Authorization header or a Sec-WebSocket-Protocol", async () => {
    const conns = [
      connect(`?token=${api.keys.read}`),
      connect("", { headers: { authorization: `Bearer ${api.keys.read}` } }),
      connect("", { protocols: ["dash.v1", api.keys.read] }),
    ];
    await Promise.all(conns.map((c) => c.opened));
    expect(conns[2]?.ws.protocol).toBe("dash.v1");
    const swarm = await createSwarm("auth");
    for (const c of conns) await until(() => c.events.some((e) => e.source === swarm.id));
    for (const c of conns) c.ws.close();
  });

  test("filters with wildcards, changed at run time; a bad message is an error frame, not a disconnect", async () => {
    const conn = connect(`?token=${api.keys.read}&filter=swarm.*`);
    await conn.opened;
    await createSwarm("filtered", 1);
    await until(() => conn.events.length >= 2);
    expect(new Set(conn.events.map((e) => e.type))).toEqual(new Set(["swarm.created", "swarm.started"]));
    conn.ws.send("{not json");
    conn.ws.send(JSON.stringify({ op: "subscribe", filter: ["nope;"] }));
    await until(() => conn.controls.length >= 3);
    expect(conn.controls.map((c) => c.op)).toEqual(["ready", "error", "error"]);
    conn.ws.send(JSON.stringify({ op: "subscribe", filter: ["agent.spawned"] }));
    await until(() => conn.controls.some((c) => c.op === "subscribed"));
    conn.events.length = 0;
    await createSwarm("refiltered", 3);
    await until(() => conn.events.length >= 3);
    expect(conn.events.map((e) => e.type)).toEqual(["agent.spawned", "agent.spawned", "agent.spawned"]);
    expect(conn.ws.readyState).toBe(WebSocket.OPEN);
    conn.ws.close();
  });

  test("replay equals live: a client that joins late with since= holds the same sequence as one there all along", async () => {
    const before = (await api.t.store.listEvents()).at(-1)?.id ?? "";
    const live = connect(`?token=${api.keys.read}`);
    await live.opened;
    // Writers keep committing while the late client connects: the switch must have no gap or duplicate.
    let late: Conn | null = null;
    for (let i = 0; i < 30; i++) {
      await createSwarm(`burst-${i}`, 3);
      if (i === 12) late = connect(`?token=${api.keys.read}&since=${before}`);
    }
    const total = (await api.t.store.listEvents({ afterId: before })).length;
    await until(() => live.events.length >= total && (late?.events.length ?? 0) >= total);
    expect(late?.events.map((e) => e.id)).toEqual(live.events.map((e) => e.id));
    const ids = live.events.map((e) => e.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(total);
    const iso = connect(
      `?token=${api.keys.read}&since=${encodeURIComponent(new Date(0).toISOString())}&filter=swarm.created`,
    );
    const created = (await api.t.store.listEvents({ types: ["swarm.created"] })).length;
    await until(() => iso.events.length >= created);
    for (const c of [live, late, iso]) c?.ws.close();
  });
});
