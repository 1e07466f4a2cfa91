import fc from "fast-check";
import { EVENT_TYPES } from "../../src/domain/event.ts";
import { nasty, oneOf, type Step, steps, validFilter, w } from "./fuzz-ws-messages.ts";

/*
 * The upgrade requests of the WS fuzz (credentials anywhere or nowhere, odd filters and since values,
 * traversal, huge query strings), labelled with what the server must do with them, and the valid
 * HTTP calls that change state meanwhile so events flow.
 */

export interface ConnectPlan {
  path: string;
  query: string;
  headers: string[];
  /** Whether the credential must be accepted, must be refused with 4401, or either (odd spellings). */
  auth: "valid" | "invalid" | "unsure";
  /** A valid filter and since must be accepted; hostile ones may be (4400 otherwise). */
  params: "valid" | "unsure";
  /** `/events` must upgrade; traversal and odd spellings may, or get a 4xx envelope. */
  route: "events" | "unsure";
  /** Headers over Bun's 16 KB limit may get its bare 431. */
  huge: boolean;
}
export interface SessionPlan {
  connect: ConnectPlan;
  steps: Step[];
  /** Where the bytes of the frames are cut into separate writes (fractions of the length). */
  cuts: number[];
}
export interface Action {
  method: string;
  path: string;
  body?: unknown;
}

type Keys = { read: string; write: string; admin: string; revoked: string; expired: string };
type Auth = Pick<ConnectPlan, "auth" | "headers"> & { query: string };
const enc = (s: string) => encodeURIComponent(s.toWellFormed());
// Header values cannot carry control characters or non-ASCII (Bun's parser answers those itself).
const header = (s: string) => s.replace(/[^\x20-\x7e]/g, "?");

function credentials(k: Keys): fc.Arbitrary<Auth> {
  const good = fc.constantFrom(k.read, k.write, k.admin);
  const WRONG = [k.revoked, k.expired, `${k.admin}x`, k.admin.slice(0, -1), `dash_api_key_${"A".repeat(32)}`];
  const wrong = fc.oneof(fc.constantFrom(...WRONG, "Bearer"), nasty);
  // The three places `/events` takes a key from (PRD §5.4 names ?token=; a browser can only use the protocol).
  const placed = (key: string, where: string, auth: Auth["auth"]): Auth => {
    if (where === "query") return { query: `token=${enc(key)}`, headers: [], auth };
    if (where === "header")
      return { query: "", headers: [`Authorization: ${header(`Bearer ${key}`)}`], auth };
    const offered = where === "protocol" ? `dash.v1, ${key}` : key;
    return { query: "", headers: [`Sec-WebSocket-Protocol: ${header(offered)}`], auth };
  };
  const where = oneOf("query | header | protocol | bare protocol");
  return fc.oneof(
    w(
      12,
      fc.tuple(good, where).map(([key, at]) => placed(key, at, "valid")),
    ),
    w(
      4,
      fc.tuple(wrong, where).map(([key, at]) => placed(key, at, "invalid")),
    ),
    w(1, fc.constant<Auth>({ query: "", headers: [], auth: "invalid" })),
    // Odd spellings, and two credentials at once: which one wins is the server's own order.
    w(
      1,
      fc.tuple(good, oneOf("%20 | + | %09 | Bearer%20")).map(([key, pad]): Auth => {
        const query = `token=${pad}${key}${pad.startsWith("B") ? "" : pad}`;
        return { query, headers: [], auth: "unsure" };
      }),
    ),
    w(
      1,
      fc.tuple(good, wrong, fc.boolean()).map(([ok, no, first]): Auth => {
        const headers = [`Authorization: ${header(`Bearer ${first ? no : ok}`)}`];
        return { query: `token=${enc(first ? ok : no)}`, headers, auth: "unsure" };
      }),
    ),
  );
}

type Param = { value: string; valid: boolean };
const param =
  (valid: boolean) =>
  (value: string): Param => ({ value, valid });
const filters: fc.Arbitrary<Param> = fc.oneof(
  w(
    6,
    fc.tuple(validFilter, oneOf(", | ,%20 | %20,")).map(([f, comma]) => param(true)(f.map(enc).join(comma))),
  ),
  w(
    3,
    fc.array(nasty, { minLength: 1, maxLength: 4 }).map((f) => param(false)(enc(f.join(",")))),
  ),
  w(1, oneOf("%ED%A0%80 | %ff | % | %% | + | ,,, | *%2C* | agent.*%00").map(param(false))),
  w(
    1,
    fc.constant(
      param(false)(
        Array(EVENT_TYPES.length + 11)
          .fill("*")
          .join(","),
      ),
    ),
  ),
);
// $ULID, $RECENT and $ISO are resolved at send time: now (no history), an event a little way back,
// a moment ago (replay by time). Replaying all history (since 2000) is rare: it grows every round.
const sinces: fc.Arbitrary<Param> = fc.oneof(
  w(
    8,
    oneOf("$RECENT | $RECENT | $ISO | $ULID | 2999-01-01T00:00:00Z | 2999-01-01T00:00:00.000%2B02:00").map(
      param(true),
    ),
  ),
  w(1, fc.constant(param(true)("2000-01-01T00:00:00Z"))),
  w(
    6,
    oneOf(
      "0 | -1 | 1e309 | yesterday | 2020-13-45T99:99:99Z | 0000000000000000000000000I | $ULIDx | %00",
    ).map(param(false)),
  ),
  w(
    2,
    nasty.map((s) => param(false)(enc(s))),
  ),
);
const junk = fc.array(
  fc.tuple(oneOf("x | __proto__ | constructor | limit | filter%5B%5D | token%5B%5D | since%00"), nasty),
  { maxLength: 2 },
);
const TRAVERSAL =
  "/events/ | //events | /./events | /api/../events | /events/../events | /%65vents | /EVENTS | /events%00 | /events/..%2fapi%2fkeys | /events;x | /events/%2e%2e/api/keys";
const paths = fc.oneof(w(12, fc.constant("/events")), w(2, oneOf(TRAVERSAL)));

export function wsSessions(k: Keys): fc.Arbitrary<SessionPlan> {
  const connect = fc
    .record({
      auth: credentials(k),
      path: paths,
      filter: fc.option(filters, { freq: 2 }),
      since: fc.oneof(w(3, fc.constant(null)), w(1, sinces)),
      junk,
      // 2 KB and 12 KB stay under Bun's 16 KB header limit and must work; 20 KB and 40 KB pass it.
      pad: fc.oneof(w(16, fc.constant(0)), w(1, fc.constantFrom(2_000, 12_000, 20_000, 40_000))),
    })
    .map(({ auth, path, filter, since, junk: j, pad }): ConnectPlan => {
      const query = [auth.query, filter && `filter=${filter.value}`, since && `since=${since.value}`]
        .concat(
          j.map(([key, v]) => `${key}=${enc(v)}`),
          pad ? `pad=${"a".repeat(pad)}` : "",
        )
        .filter(Boolean);
      const params = (filter?.valid ?? true) && (since?.valid ?? true) ? "valid" : "unsure";
      const route = path === "/events" ? "events" : "unsure";
      const q = query.length > 0 ? `?${query.join("&")}` : "";
      return {
        path,
        query: q,
        headers: auth.headers,
        auth: auth.auth,
        params,
        route,
        huge: pad > 15_000,
      };
    });
  const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 });
  return fc.record({ connect, steps, cuts });
}

const post = (path: string, body: unknown): Action => ({ method: "POST", path, body });
/** Valid calls that change state while the sessions run, so events flow to them ($SWARM etc. resolved at send time). */
export const actions: fc.Arbitrary<Action[]> = fc.array(
  fc.oneof(
    w(
      4,
      fc
        .integer({ min: 0, max: 3 })
        .map((n) => post("/api/swarm", { name: `ws-fuzz-${n}`, task: "t", initialAgents: n })),
    ),
    w(2, fc.constant(post("/api/agents", { swarmId: "$SWARM", task: "t" }))),
    w(
      1,
      fc.integer({ min: 0, max: 4 }).map((target) => post("/api/swarm/$SWARM/scale", { target })),
    ),
    w(
      1,
      oneOf("pause | resume").map((op) => post(`/api/swarm/$SWARM/${op}`, {})),
    ),
    w(1, fc.constant({ method: "DELETE", path: "/api/agents/$AGENT" })),
    w(
      1,
      fc
        .integer({ min: 1, max: 500 })
        .map((n) => post("/api/budget/allocate", { swarmId: "$SWARM", amount: n / 100 })),
    ),
  ),
  { minLength: 1, maxLength: 3 },
);
