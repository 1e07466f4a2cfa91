import { afterAll, expect, test } from "bun:test";
import { table } from "../../src/cli/style.ts";
import { DashClient } from "../../src/client/client.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { errorCode, testServer } from "../api-helpers.ts";

const api = await testServer();
const limited = await testServer({ limits: { perMinute: 5, swarmCreatesPerMinute: 5 }, clock: () => 0 });
afterAll(async () => {
  await api.close();
  await limited.close();
});

test("a raw argv (config.command) needs an admin key; a write key may use runtime presets", async () => {
  const body = { name: "raw", task: "t", config: { command: ["sh", "-c", "echo hi"] } };
  const refused = await api.call("POST", "/api/swarm", api.keys.write, body);
  expect([refused.status, await errorCode(refused)]).toEqual([403, "FORBIDDEN"]);
  expect((await api.call("POST", "/api/swarm", api.keys.admin, body)).status).toBe(201);
  const preset = { name: "preset", task: "t", config: { runtime: "claude-code" } };
  expect((await api.call("POST", "/api/swarm", api.keys.write, preset)).status).toBe(201);
});

test("loosening the sandbox needs an admin key: fileSandbox false, or allowedPaths with no allowedRoots", async () => {
  for (const config of [{ fileSandbox: false }, { allowedPaths: ["/var/tmp"] }]) {
    const body = { name: "loose", task: "t", config };
    const refused = await api.call("POST", "/api/swarm", api.keys.write, body);
    expect([refused.status, await errorCode(refused)]).toEqual([403, "FORBIDDEN"]);
    expect((await api.call("POST", "/api/swarm", api.keys.admin, body)).status).toBe(201);
  }
  const boxed = { name: "boxed", task: "t", config: { network: false, blockedCommands: ["curl"] } };
  expect((await api.call("POST", "/api/swarm", api.keys.write, boxed)).status).toBe(201);
});

test("requests refused for permission still spend the key's bucket", async () => {
  for (let i = 0; i < 5; i++)
    expect((await limited.call("GET", "/api/keys", limited.keys.read)).status).toBe(403);
  const res = await limited.call("GET", "/api/keys", limited.keys.read);
  expect([res.status, await errorCode(res)]).toEqual([429, "RATE_LIMITED"]);
});

test("destroying a swarm also kills its failed agents, so none is retried later", async () => {
  const [, created] = await api.json("POST", "/api/swarm", api.keys.write, {
    name: "d",
    task: "t",
    initialAgents: 2,
  });
  const swarm = SwarmResponseSchema.parse(created);
  const [first] = await api.t.store.listAgents({ swarmId: swarm.id });
  await api.t.lifecycle.moveAgent(first?.id ?? "", { to: "failed" });
  expect((await api.call("DELETE", `/api/swarm/${swarm.id}`, api.keys.write)).status).toBe(200);
  const statuses = (await api.t.store.listAgents({ swarmId: swarm.id })).map((a) => a.status);
  expect(statuses).toEqual(["killed", "killed"]);
});

test("a budget worth less than one unit is refused, not stored as zero", async () => {
  const tiny = await api.call("POST", "/api/swarm", api.keys.write, {
    name: "t",
    task: "t",
    budget: { amount: 1e-7 },
  });
  expect([tiny.status, await errorCode(tiny)]).toEqual([400, "VALIDATION_ERROR"]);
  const [, created] = await api.json("POST", "/api/swarm", api.keys.write, {
    name: "tok",
    task: "t",
    budget: { amount: 100, currency: "tokens" },
  });
  const id = SwarmResponseSchema.parse(created).id;
  const allocate = await api.call("POST", "/api/budget/allocate", api.keys.write, {
    swarmId: id,
    amount: 0.3,
  });
  expect([allocate.status, await errorCode(allocate)]).toEqual([400, "VALIDATION_ERROR"]);
});

test("the client keeps a base path (a server behind a proxy at /dash)", async () => {
  const seen: string[] = [];
  const fake = (async (url: URL) => {
    seen.push(url.pathname);
    return Response.json({ swarms: [] });
  }) as unknown as typeof fetch;
  await new DashClient({ url: "https://h/dash", key: "k", keySource: "test" }, fake).listSwarms();
  expect(seen).toEqual(["/dash/api/swarm"]);
});

test("tables align by what the terminal shows: colour codes take no width", () => {
  const colored = "\x1b[32mrunning\x1b[39m";
  const lines = table(
    ["NAME", "STATUS", "AGE"],
    [
      ["a", colored, "1s"],
      ["bb", "idle", "2s"],
    ],
  ).split("\n");
  expect(Bun.stringWidth(lines[1] ?? "")).toBe(Bun.stringWidth(lines[2] ?? ""));
  expect((lines[1] ?? "").endsWith("\x1b[39m  1s")).toBe(true);
});
