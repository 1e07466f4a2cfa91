import { afterAll, describe, expect, test } from "bun:test";
import { DashClient } from "../../src/client/client.ts";
import { DashError } from "../../src/domain/errors.ts";
import { testServer } from "../api-helpers.ts";

// The typed client against a real server, and against servers that are not Dash at all.
const api = await testServer();
const odd = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/api/swarm") return new Response("<html>bad gateway</html>", { status: 502 });
    if (path === "/api/keys")
      return Response.json({ error: { code: "TEAPOT", message: "short and stout" } }, { status: 418 });
    if (path === "/health") return Response.json({ hello: "world" });
    return Response.json({ error: { code: "UNAUTHORIZED", message: "Missing API key" } }, { status: 401 });
  },
});
// 60 a minute: the bucket holds 60 and refills one a second, so a 429 says "Retry-After: 1".
const limited = await testServer({ limits: { perMinute: 60, swarmCreatesPerMinute: 60 } });
afterAll(async () => {
  await odd.stop(true);
  await api.close();
  await limited.close();
});

const client = (url: string, key: string | null) => new DashClient({ url, key, keySource: "test" });
async function failure(promise: Promise<unknown>): Promise<DashError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DashError);
  return error as DashError;
}

describe("DashClient", () => {
  test("parses health, events and budgets with the server's own schemas", async () => {
    const c = client(api.server.url.origin, api.keys.admin);
    expect((await c.health()).status).toBe("ok");
    const swarm = await c.createSwarm({ name: "c", task: "t", initialAgents: 2 });
    const page = await c.listEvents({ type: "agent.spawned", limit: 1 });
    expect(page.events[0]?.type).toBe("agent.spawned");
    expect(page.nextCursor).not.toBeNull();
    expect((await c.getBudgets(swarm.id)).budgets[0]?.entityId).toBe(swarm.id);
    expect((await c.allAgents({ swarmId: swarm.id })).map((a) => a.name)).toEqual(["c-1", "c-2"]);
  });

  test("whoami names the calling key and what it may do", async () => {
    expect(await client(api.server.url.origin, api.keys.read).whoami()).toMatchObject({
      name: "reader",
      permissions: ["read"],
    });
  });

  test("a server error keeps its code and message; without a key the hint says where keys come from", async () => {
    const missing = await failure(client(api.server.url.origin, api.keys.read).getSwarm("nope"));
    expect([missing.code, missing.message]).toEqual(["NOT_FOUND", "swarm nope not found"]);
    const anonymous = await failure(client(odd.url.origin, null).listAgents());
    expect(anonymous.code).toBe("UNAUTHORIZED");
    expect(anonymous.message).toContain("pass --key, set DASH_API_KEY");
  });

  test("answers that are not Dash's are INTERNAL_ERROR naming the status and the server", async () => {
    const html = await failure(client(odd.url.origin, "k").listSwarms());
    expect(html.code).toBe("INTERNAL_ERROR");
    expect(html.message).toContain("HTTP 502");
    expect(html.message).toContain("bad gateway");
    expect((await failure(client(odd.url.origin, "k").listKeys())).code).toBe("INTERNAL_ERROR");
    const shape = await failure(client(odd.url.origin, "k").health());
    expect(shape.message).toContain("is this a Dash server of the same version?");
  });

  test("a 429 is waited out (Retry-After) within the client's patience, then answered; without patience it is RATE_LIMITED", async () => {
    const origin = limited.server.url.origin;
    const impatient = new DashClient({ url: origin, key: limited.keys.admin, keySource: "test" }, fetch, 0);
    for (let i = 0; i < 60; i++) await impatient.listSwarms();
    const refused = await failure(impatient.createSwarm({ name: "no", task: "t", initialAgents: 1 }));
    expect(refused.code).toBe("RATE_LIMITED");
    const started = performance.now();
    const swarm = await client(origin, limited.keys.admin).createSwarm({
      name: "yes",
      task: "t",
      initialAgents: 1,
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    // Created once: the refused attempt was never handled.
    expect((await client(origin, limited.keys.admin).listSwarms()).swarms.map((s) => s.name)).toEqual([
      "yes",
    ]);
    expect(swarm.name).toBe("yes");
  });
});
