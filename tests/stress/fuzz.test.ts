import { afterAll, expect, test } from "bun:test";
import fc from "fast-check";
import { MAX_BODY_BYTES } from "../../src/api/errors.ts";
import { ROUTES } from "../../src/api/server.ts";
import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { newId } from "../../src/domain/ids.ts";
import { AGENT_STATUSES } from "../../src/domain/states.ts";
import { testServer } from "../api-helpers.ts";
import { fuzzRequests } from "./fuzz-requests.ts";
import { fuzzSeeds, saveFailure } from "./fuzz-seeds.ts";

/*
 * Property-based fuzz of the HTTP API: ≥ 10,000 generated requests (hostile strings, bad JSON, wrong
 * methods and types, traversal, odd headers) mixed with valid ones that change real state, against a
 * real server and SQLite file. No answer may be a 5xx, every error must be the PRD envelope, and the
 * server and database must be sound afterwards. Failures print the request that caused them.
 */

// A fixed seed keeps CI reproducible; FUZZ_SEED=<n> or FUZZ_SEED=random explores elsewhere, and seeds
// that once failed (fuzz-failures/) run too. The seed replays the request sequence; the database state
// also depends on how the concurrent requests interleave.
const SUITE = "fuzz-http";
const SEEDS = fuzzSeeds(SUITE, 20_250_611);
const BATCH = 16; // requests in flight at once
const RUNS = Math.ceil(10_000 / BATCH) + 2;

const api = await testServer();
const { keys: k } = api;
const db = api.t.store.db;
afterAll(() => api.close());

const request = fuzzRequests(k);
type Req = typeof request extends fc.Arbitrary<infer R> ? R : never;

// $SWARM/$AGENT/$KEY become real ids at send time (recent rows first, so valid moves often apply).
// Only keys the fuzz created are revoked, never the fixture keys the fuzz authenticates with.
const ID_SQL = { SWARM: "FROM swarms", AGENT: "FROM agents", KEY: "FROM api_keys WHERE name LIKE 'fuzz-%'" };
const idQuery = (t: keyof typeof ID_SQL) =>
  db.query<{ id: string }, [number]>(`SELECT id ${ID_SQL[t]} ORDER BY id DESC LIMIT 1 OFFSET ?`);
const resolve = (s: string, pick: number) =>
  s.replace(/\$(SWARM|AGENT|KEY)/g, (_, t: keyof typeof ID_SQL) => idQuery(t).get(pick % 40)?.id ?? newId());

const histogram = new Map<string, number>();
const problems = new Map<string, { count: number; example: string }>();
const clip = (s: string, max = 200) => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);
// JSON-quoted, so control characters and lone surrogates print as escapes that can be pasted back.
const quote = (s: string) => JSON.stringify(clip(s));
const isEnvelope = async (text: string) =>
  ErrorResponseSchema.safeParse(await new Response(text).json().catch(() => null)).success;
const routeOf = (method: string, path: string) =>
  ROUTES.find(
    (r) => r.method === method && new RegExp(`^${r.path.replace(/:\w+/g, "[^/?]+")}(\\?|$)`).test(path),
  );

async function verdict(method: string, path: string, status: number | string, text: string) {
  if (typeof status === "string") return `no response (${status})`; // a hang, a reset or a crash
  if (status >= 500) return `${status} on ${method} ${routeOf(method, path)?.path ?? "(unmatched)"}`;
  // HEAD and 204 have no body; 431 is Bun's own answer to headers over its limit (see headerText).
  if (status < 300 || status === 204 || method === "HEAD" || (status === 431 && text === "")) return null;
  return (await isEnvelope(text)) ? null : `non-envelope ${status}`;
}

async function send({ plan: p, headers: h, pick }: Req): Promise<void> {
  const path = resolve(p.path.startsWith("/") ? p.path : `/${p.path}`, pick);
  const noBody = p.method === "GET" || p.method === "HEAD" || p.body === undefined;
  const body = noBody ? undefined : typeof p.body === "string" ? resolve(p.body, pick) : p.body;
  const sent = Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined));
  const init = { method: p.method, headers: sent, body, signal: AbortSignal.timeout(15_000) };
  const { status, text } = await fetch(api.server.url.origin + path, init).then(
    async (res) => ({ status: res.status, text: await res.text() }),
    (e: Error) => ({ status: e.name, text: String(e) }),
  );
  histogram.set(String(status), (histogram.get(String(status)) ?? 0) + 1);
  const problem = await verdict(p.method, path, status, text);
  if (!problem) return;
  const requestId = /"requestId":"([^"]+)"/.exec(text)?.[1] ?? "(none)";
  const logged = api.lines.filter((l) => l.includes(requestId) && l.includes('"level":"error"'));
  // Grouped by the logged cause too, so two different 500s on one route are told apart.
  const key = [problem, /"error":"([^\\"]*)/.exec(logged[0] ?? "")?.[1]].filter(Boolean).join(": ");
  const example = [
    `${p.method} ${quote(path)}`,
    `headers ${JSON.stringify(Object.entries(sent).map(([name, v]) => `${name}: ${clip(v)}`))}`,
    `body ${typeof body === "string" ? quote(body) : body ? `${body.length} raw bytes` : "none"}`,
    `→ ${status} ${quote(text)}`,
    ...logged.map((l) => clip(l, 700)),
  ].join("\n    ");
  const seen = problems.get(key);
  problems.set(key, { count: (seen?.count ?? 0) + 1, example: seen?.example ?? example });
}

// The property records instead of throwing: one run reports every distinct failure and a full histogram.
async function fuzz(seed: number) {
  console.log(`fuzz seed ${seed} (override with FUZZ_SEED=<n> or FUZZ_SEED=random)`);
  histogram.clear();
  problems.clear();
  const started = performance.now();
  const batches = fc.array(request, { minLength: BATCH, maxLength: BATCH });
  await fc.assert(
    fc.asyncProperty(batches, async (batch) => void (await Promise.all(batch.map(send)))),
    { seed, numRuns: RUNS },
  );
  const sent = [...histogram.values()].reduce((a, b) => a + b, 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`fuzz: ${sent} requests in ${seconds}s; statuses`, Object.fromEntries([...histogram].sort()));
  for (const [problem, { count, example }] of problems)
    console.log(`PROBLEM ×${count}: ${problem}\n    ${example}`);
  saveFailure(SUITE, import.meta.path, seed, problems);
  expect(sent).toBeGreaterThanOrEqual(10_000);
  expect([...problems.keys()]).toEqual([]);
}
const TITLE = "≥ 10,000 generated requests never get a 5xx and every error is the PRD envelope";
for (const seed of SEEDS) test(`fuzz seed ${seed}: ${TITLE}`, () => fuzz(seed), 60_000);

test("after the fuzz the server still serves and the database is consistent", async () => {
  expect((await api.call("GET", "/health")).status).toBe(200);
  expect(db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
  expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);
  const statuses = db.query<{ status: string }, []>("SELECT DISTINCT status FROM agents").all();
  expect(statuses.map((r) => r.status).filter((s) => !AGENT_STATUSES.some((a) => a === s))).toEqual([]);
  const res = await api.call("GET", "/api/swarm", k.admin);
  const { swarms } = (await res.json()) as { swarms: { id: string; agentCount: number }[] };
  expect(swarms.length).toBeGreaterThan(10); // the valid requests did change state
  const count = db.query<{ n: number }, [string]>("SELECT COUNT(*) AS n FROM agents WHERE swarm_id = ?");
  const counted = swarms.map((s) => ({ id: s.id, agentCount: count.get(s.id)?.n ?? -1 }));
  expect(swarms.map(({ id, agentCount }) => ({ id, agentCount }))).toEqual(counted);
});

// Reproducers of what the fuzz found; they fail until the server is fixed.
test("repro: an agent's metadata nested 100,000 levels deep is refused with a 4xx, not a 500", async () => {
  const swarm = await api.json<{ id: string }>("POST", "/api/swarm", k.write, { name: "deep", task: "t" });
  const nest = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
  const raw = `{"swarmId":"${swarm[1].id}","metadata":{"a":${nest}}}`;
  const res = await api.call("POST", "/api/agents", k.write, undefined, { raw });
  expect(res.status).toBeLessThan(500);
});

test("repro: a body over 10 MB + 1 KB (Bun's maxRequestBodySize) still gets the 413 envelope", async () => {
  const raw = "x".repeat(MAX_BODY_BYTES + 1025);
  const res = await api.call("POST", "/api/swarm", k.write, undefined, { raw });
  expect([res.status, await isEnvelope(await res.text())]).toEqual([413, true]);
});
