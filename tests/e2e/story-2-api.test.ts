/**
 * PRD story 2, black box: a CI pipeline's HTTP calls against the compiled `dash serve` (port 0, a
 * temp DASH_HOME whose config.yaml sets a small rate limit so it can be reached quickly): create a
 * swarm (201 with id, name, status, agentCount), see it in the compiled `dash swarm list`, GET it,
 * be refused without a valid key (401 in the error envelope) and, past the limit, 429.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { CreatedApiKeySchema, SwarmListSchema } from "../../src/domain/wire.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, runDash, type Served, startServe } from "./compiled.ts";

const LIMIT = 12; // requests per key (and failed authentications per IP) per minute
const home = tempHome("dash-story2-");
let bin = "";
let served: Served | undefined;
let admin = "";
let swarmId = "";

beforeAll(async () => {
  bin = await compiledDash();
  writeFileSync(join(home.dir, "config.yaml"), `limits:\n  rateLimitPerMinute: ${LIMIT}\n`);
  served = await startServe(bin, home.dir);
  admin = (JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string }).key;
}, 120_000);

afterAll(async () => {
  // The agents run `true`: wait (in the database, so the rate limit does not matter) until they
  // have finished, so no shim outlives the server.
  const db = new Database(join(home.dir, "dash.db"), { readonly: true });
  const open = () =>
    (db.query("SELECT COUNT(*) AS n FROM agents WHERE status IN ('idle','running')").get() as { n: number })
      .n;
  for (let i = 0; i < 200 && open() > 0; i++) await Bun.sleep(50);
  db.close();
  served?.proc.kill("SIGTERM");
  await served?.proc.exited;
  home.cleanup();
}, 30_000);

/** One HTTP request, as curl would send it; `key` null sends no Authorization header. */
function call(method: string, path: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(new URL(path, served?.url), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test("POST /api/swarm with a valid key: 201 with id, name, status, agentCount; listed at once; GET returns it", async () => {
  const body = { name: "ci-swarm", task: "Run the checks", initialAgents: 2, config: { command: ["true"] } };
  const res = await call("POST", "/api/swarm", admin, body);
  expect(res.status).toBe(201);
  const created = SwarmResponseSchema.parse(await res.json());
  swarmId = created.id;
  expect(created).toMatchObject({
    name: "ci-swarm",
    status: "active",
    agentCount: 2,
    task: "Run the checks",
  });

  // The PRD allows 1 s; the very first `dash swarm list` started after the 201 must list it.
  const t0 = performance.now();
  const list = runDash(bin, home.dir, ["swarm", "list", "--json"]);
  console.log(`201 → listed by the compiled \`dash swarm list\`: ${Math.round(performance.now() - t0)} ms`);
  expect(list.err).toBe("");
  expect(list.code).toBe(0);
  const listed = SwarmListSchema.parse(JSON.parse(list.out)).swarms.find((s) => s.id === swarmId);
  expect(listed).toMatchObject({ id: swarmId, name: "ci-swarm", agentCount: 2 });

  const got = await call("GET", `/api/swarm/${swarmId}`, admin);
  expect(got.status).toBe(200);
  const swarm = SwarmResponseSchema.parse(await got.json());
  expect(swarm).toMatchObject({ id: swarmId, name: "ci-swarm", agentCount: 2, task: "Run the checks" });
  expect(swarm.createdAt).toBe(created.createdAt);
}, 30_000);

// Failures spend from the caller IP's bucket: counted, and timed, for the last test.
let failedAuth = 0;
let firstFailure = 0;
test("no key, or an invalid one: 401 in the error envelope, and nothing is created", async () => {
  const body = { name: "intruder", task: "t", config: { command: ["true"] } };
  firstFailure = performance.now();
  for (const key of [null, "dash_api_key_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not-a-key"]) {
    const res = await call("POST", "/api/swarm", key, body);
    failedAuth++;
    expect(res.status).toBe(401);
    const { error } = ErrorResponseSchema.parse(await res.json());
    expect(error.code).toBe("UNAUTHORIZED");
  }
  const get = await call("GET", `/api/swarm/${swarmId}`, "dash_api_key_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
  failedAuth++;
  expect(get.status).toBe(401);
  expect(ErrorResponseSchema.parse(await get.json()).error.code).toBe("UNAUTHORIZED");
  const list = SwarmListSchema.parse(JSON.parse(runDash(bin, home.dir, ["swarm", "list", "--json"]).out));
  expect(list.swarms.map((s) => s.name)).toEqual(["ci-swarm"]);
}, 30_000);

test(`rate limit: a key gets ${LIMIT} requests a minute, then 429 with Retry-After and RateLimit-*`, async () => {
  // A fresh key, so its bucket is full and the count exact (the admin key has been spending).
  const made = await call("POST", "/api/keys", admin, { name: "ci", permissions: ["read"] });
  expect(made.status).toBe(201);
  const ci = CreatedApiKeySchema.parse(await made.json()).key;
  // The bucket refills one token per 60/LIMIT = 5 s: these requests take far less.
  for (let i = 1; i <= LIMIT; i++) {
    const res = await call("GET", "/api/swarm", ci);
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-limit")).toBe(String(LIMIT));
    expect(res.headers.get("ratelimit-remaining")).toBe(String(LIMIT - i));
    expect(res.headers.get("ratelimit-policy")).toBe(`${LIMIT};w=60`);
  }
  const refused = await call("GET", "/api/swarm", ci);
  expect(refused.status).toBe(429);
  const retryAfter = Number(refused.headers.get("retry-after"));
  const shown = [...refused.headers].filter(([name]) => /^(retry-after|ratelimit-)/.test(name));
  console.log(`429 headers: ${shown.map(([n, v]) => `${n}: ${v}`).join(", ")}`);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60 / LIMIT);
  expect(refused.headers.get("ratelimit-remaining")).toBe("0");
  expect(refused.headers.get("ratelimit-limit")).toBe(String(LIMIT));
  const { error } = ErrorResponseSchema.parse(await refused.json());
  expect(error.code).toBe("RATE_LIMITED");
  expect(error.details).toMatchObject({ limit: LIMIT, retryAfterSeconds: retryAfter });
  // Per key: another key is still served.
  expect((await call("GET", `/api/swarm/${swarmId}`, admin)).status).toBe(200);
}, 30_000);

test("repeated failed authentication from one address turns from 401 into 429", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < LIMIT; i++) statuses.push((await call("GET", "/api/swarm", "wrong")).status);
  // The IP's bucket held LIMIT tokens; the earlier test spent `failedAuth` of them, and it has
  // refilled at LIMIT/min since (usually by less than one token).
  const refilled = Math.ceil(((performance.now() - firstFailure) * LIMIT) / 60_000);
  const allowed = statuses.indexOf(429);
  expect(statuses.slice(0, allowed).every((s) => s === 401)).toBe(true);
  expect(statuses.slice(allowed).every((s) => s === 429)).toBe(true);
  expect(allowed).toBeGreaterThanOrEqual(LIMIT - failedAuth);
  expect(allowed).toBeLessThanOrEqual(LIMIT - failedAuth + refilled);
  const res = await call("GET", "/api/swarm", null);
  expect(res.status).toBe(429);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(ErrorResponseSchema.parse(await res.json()).error.code).toBe("RATE_LIMITED");
  // A valid key is never locked out by its neighbour's failures.
  expect((await call("GET", `/api/swarm/${swarmId}`, admin)).status).toBe(200);
}, 30_000);
