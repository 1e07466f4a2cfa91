import fc from "fast-check";
import { MAX_BODY_BYTES } from "../../src/api/errors.ts";
import { ROUTES } from "../../src/api/server.ts";

/** The generated requests of the fuzz: hostile values, bad JSON, wrong methods, odd headers, valid calls. */
export function fuzzRequests(k: {
  read: string;
  write: string;
  admin: string;
  revoked: string;
  expired: string;
}) {
  // Short spellings keep the many value lists readable: "a | b" is the list ["a", "b"].
  const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
  const list = (s: string) => s.split(" | ");
  const oneOf = (s: string) => fc.constantFrom(...list(s));
  const NASTY = list(
    `' OR 1=1 -- | "; DROP TABLE agents; -- | 1;SELECT * FROM api_keys | ../../../etc/passwd | ..\\..\\boot.ini | ` +
      "%2e%2e%2f | ..%2f | %252e%252e%252f | %00 | %ED%A0%80 | \u0000 | \ud800 | \udfff | \udfff\ud800 | \u202eevil\u202c | " +
      "\u200f | 👩‍👩‍👧‍👦 | \ufeff | 𝕏 | null | NaN | 1e309 | -0 | __proto__ | constructor | $SWARM | ? | # | / | & | = |  ",
  );
  const unit = fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: "binary", maxLength: 2 }));
  const nasty = fc.string({ unit });
  // Huge strings are made by repetition: fast-check building 100 KB char by char would dominate the run.
  const hugeOf = (sizes: fc.Arbitrary<number>) =>
    fc
      .tuple(nasty, sizes)
      .map(([s, n]) => (s || "x").repeat(Math.ceil(n / Math.max(1, s.length))).slice(0, n));
  const big = hugeOf(fc.integer({ min: 1_000, max: 100_000 }));
  const long = hugeOf(fc.integer({ min: 200, max: 4_000 })); // for URLs and headers
  // A few bodies pass the 10 MB limit (multi-byte units make some far larger): still a 413 envelope.
  const bodyText = fc.oneof(w(60, nasty), w(4, big), w(1, hugeOf(fc.constantFrom(1e6, MAX_BODY_BYTES + 1))));
  // Header values cannot carry control characters (Bun's HTTP parser answers those itself). Now and then
  // headers pass Bun's 16 KB limit, which it answers with an empty 431 before any Dash code runs.
  const headerText = fc
    .oneof(w(60, nasty), w(4, long), w(1, big))
    .map((s) => s.replace(/[^\x20-\x7e\xa0-\xff]/g, "?"));
  const enc = (s: string) => encodeURIComponent(s.toWellFormed());

  const TOKENS = oneOf("$SWARM | $AGENT | $KEY | parallel | tokens | admin | read | 2999-01-01T00:00:00Z");
  const NUMBERS = fc.constantFrom(0, -1, 1, 101, 1e6, 2 ** 53 + 1, 1e-7);
  const scalar = fc.oneof(bodyText, TOKENS, NUMBERS, fc.integer(), fc.double(), fc.boolean());
  const value = fc.oneof(w(6, scalar), w(1, fc.jsonValue({ maxDepth: 3 })), w(1, fc.array(TOKENS)));
  const FIELDS = oneOf(
    "name | task | initialAgents | strategy | budget | config | swarmId | parentId | model | metadata | amount | " +
      "expectedVersion | target | reason | permissions | expiresAt | expiresInDays | __proto__ | constructor",
  );
  const jsonBody = fc
    .dictionary(fc.oneof(w(5, FIELDS), w(1, nasty)), value, { maxKeys: 6 })
    .map((o) => JSON.stringify(o));
  // Nesting at the root, or inside fields a schema lets through unparsed (metadata is z.unknown()).
  const deep = fc
    .tuple(fc.constantFrom(100, 10_000, 100_000), fc.boolean(), oneOf("root | metadata | name"))
    .map(([n, array, where]) => {
      const nest = array ? `${"[".repeat(n)}${"]".repeat(n)}` : `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
      if (where === "root") return nest;
      return `{"swarmId":"$SWARM","${where}":${where === "metadata" ? `{"a":${nest}}` : nest}}`;
    });
  const LITERALS = oneOf("1e309 | -1e309 | 1e-400 | 123456789012345678901234567890 | -0 | 0x10 | NaN | .5");
  const numbers = fc
    .tuple(oneOf("amount | target | initialAgents | expectedVersion | expiresInDays"), LITERALS)
    .map(([key, n]) => `{"swarmId":"$SWARM","name":"n","task":"t","permissions":["read"],"${key}":${n}}`);
  const ODD_JSON = oneOf(
    `{"__proto__":{"admin":true},"name":"p","task":"t"} | {"constructor":{"prototype":{"x":1}}} | ` +
      `{"swarmId":"$SWARM","metadata":{"__proto__":{"x":1}}} | {"name":"a","name":"b","task":"t"} | ` +
      `\ufeff{} | null | [] | "x" |     | { | {}} | [1,] | {'a':1}`,
  );
  const truncated = fc.tuple(jsonBody, fc.nat()).map(([t, n]) => t.slice(0, n % Math.max(1, t.length)));
  const trailing = fc
    .tuple(jsonBody, oneOf(`} | ] | , | garbage | \u0000 | {"a":1} | //`))
    .map(([t, g]) => t + g);
  const bytes = fc.uint8Array({ maxLength: 64 }); // mostly invalid UTF-8
  const malformed = fc.oneof(truncated, trailing, deep, numbers, ODD_JSON, bytes);
  const anyBody = fc.oneof(jsonBody, malformed, fc.constant(undefined));

  type Plan = { method: string; path: string; body?: string | Uint8Array };
  const plan = (method: string, path: string, b?: unknown): Plan => ({
    method,
    path,
    body: JSON.stringify(b),
  });
  const post = (path: string) => (body: unknown) => plan("POST", path, body);
  // Valid requests keep real state changing during the fuzz; names still carry unicode and SQL.
  const label = fc
    .string({ unit: fc.constantFrom(...NASTY, "a"), minLength: 1, maxLength: 8 })
    .map((s) => `fuzz-${s}`);
  const small = (max: number) => fc.integer({ min: 1, max });
  const budget = fc.option(fc.record({ amount: small(1000) }), { nil: undefined });
  const metadata = fc.dictionary(label, label, { maxKeys: 3 });
  const valid: fc.Arbitrary<Plan> = fc.oneof(
    fc.record({ name: label, task: label, initialAgents: small(4), budget }).map(post("/api/swarm")),
    fc.record({ swarmId: fc.constant("$SWARM"), task: label, metadata }).map(post("/api/agents")),
    deep.map((body): Plan => ({ method: "POST", path: "/api/agents", body })),
    small(6).map((n) => plan("POST", "/api/swarm/$SWARM/scale", { target: n - 1 })),
    oneOf(
      "swarm/$SWARM/pause | swarm/$SWARM/resume | agents/$AGENT/pause | agents/$AGENT/resume | agents/$AGENT",
    ).map((p) => plan(/(pause|resume)$/.test(p) ? "POST" : "DELETE", `/api/${p}`, {})),
    oneOf("/api/swarm/$SWARM | /api/keys/$KEY").map((path): Plan => ({ method: "DELETE", path })),
    small(10_000).map((n) => plan("POST", "/api/budget/allocate", { swarmId: "$SWARM", amount: n / 100 })),
    fc
      .record({ name: label, permissions: fc.subarray(["read", "write", "admin"], { minLength: 1 }) })
      .map(post("/api/keys")),
    oneOf(
      "/api/swarm | /api/swarm/$SWARM | /api/agents?swarmId=$SWARM&limit=5 | /api/agents/$AGENT | /metrics | " +
        "/api/events?limit=50 | /api/budget?swarmId=$SWARM | /api/keys | /api/openapi.json",
    ).map((path): Plan => ({ method: "GET", path })),
  );

  const METHODS = oneOf("GET | POST | PUT | PATCH | DELETE | OPTIONS | HEAD | PROPFIND");
  const TRAVERSAL = oneOf(
    "%2e%2e%2f%2e%2e%2fapi%2fkeys | ..%2F..%2Fetc%2Fpasswd | %252e%252e%252f | %00 | %ff%fe | ..; | ..",
  );
  const param = (token: string) =>
    fc.oneof(
      w(6, fc.constant(token)),
      w(2, nasty.map(enc)),
      w(2, nasty),
      w(1, long.map(enc)),
      w(2, TRAVERSAL),
    );
  const QUERY_KEYS = oneOf("status | swarmId | parentId | limit | cursor | since | type | __proto__");
  const queryValue = fc.oneof(
    nasty,
    oneOf("idle | active | 0 | 1001 | 1e309 | agent.spawned,x | 2020-01-01"),
  );
  const pair = fc.tuple(fc.oneof(QUERY_KEYS, nasty), queryValue, fc.boolean());
  const query = fc.array(pair, { maxLength: 4 }).map((qs) => {
    const parts = qs.map(([key, v, raw]) => (raw ? `${key}=${v}` : `${enc(key)}=${enc(v)}`));
    return parts.length > 0 ? `?${parts.join("&")}` : "";
  });
  const TOKEN_OF: Record<string, string> = { swarm: "$SWARM", agents: "$AGENT", keys: "$KEY" };
  const tokenOf = (path: string) => TOKEN_OF[path.split("/")[2] ?? ""] ?? "$SWARM";
  // Every route of the table, with any method (405s, HEAD, OPTIONS) and any body.
  const routed = fc.constantFrom(...ROUTES).chain((route) =>
    fc.record({
      method: fc.oneof(w(3, fc.constant(route.method)), w(1, METHODS)),
      path: fc
        .tuple(param(tokenOf(route.path)), query)
        .map(([p, q]) => route.path.replace(/:[a-zA-Z]+/, p) + q),
      body: anyBody,
    }),
  );
  const PREFIXES = oneOf(
    "/ | /api/ | /api/swarm/ | /api/agents/ | /api/keys/ | /api/swarm/$SWARM/ | /health/ | /api/..%2fkeys/ | " +
      "/%2e%2e/%2e%2e/etc/passwd | //api//swarm/ | /api/swarm;x=1/ | /API/SWARM/",
  );
  const strayPath = fc.tuple(PREFIXES, param("$SWARM"), query).map((parts) => parts.join(""));
  const stray = fc.record({ method: METHODS, path: strayPath, body: anyBody });

  const BAD_AUTH = oneOf(
    `Bearer ${k.read} | Bearer ${k.revoked} | Bearer ${k.expired} | ${k.admin} | bearer ${k.admin} | ` +
      `Bearer   ${k.write}   | Basic ${btoa(`a:${k.admin}`)} | Bearer ${k.admin}x | Bearer ${k.admin.slice(0, -1)} | ` +
      `Bearer ${k.admin}, Bearer x | Bearer  | `,
  );
  const junkAuth = headerText.map((s) => `Bearer ${s}`);
  const AUTH = fc.oneof(
    w(45, fc.constant(`Bearer ${k.admin}`)),
    w(30, fc.constant(`Bearer ${k.write}`)),
    w(12, BAD_AUTH),
    w(5, junkAuth),
  );
  const CONTENT_TYPE = oneOf(
    "application/json | text/plain | application/x-www-form-urlencoded | multipart/form-data; boundary=x | " +
      "application/json; charset=utf-16 | */* | ",
  );
  const headers = fc.record({
    authorization: fc.option(AUTH, { freq: 20, nil: undefined }),
    "content-type": fc.option(CONTENT_TYPE, { nil: undefined }),
    "x-request-id": fc.option(headerText, { nil: undefined }),
    origin: fc.option(oneOf("https://evil.example | null"), { freq: 10, nil: undefined }),
    "x-fuzz": fc.option(headerText, { freq: 4, nil: undefined }),
  });
  const plans = fc.oneof(w(3, valid), w(5, routed), w(2, stray));
  const request = fc.record({ plan: plans, headers, pick: fc.nat() });
  return request;
}
