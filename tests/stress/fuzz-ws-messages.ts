import fc from "fast-check";
import { EVENT_TYPES } from "../../src/domain/event.ts";
import { OP, type WireFrame } from "./fuzz-ws-client.ts";

/*
 * The client frames of the WS fuzz, each labelled with what the protocol promises for it (the reply a
 * message gets, the close code a protocol violation gets) so the test can judge the server's answers.
 */

/** The answers `/events` gives a complete data message: exactly one each, in order. */
export type Reply = "pong" | "subscribed" | "error";
/** One data message: the replies allowed for it, and the filter a `subscribed` must echo. */
export interface Expect {
  replies: Reply[];
  filter?: string[];
}
export interface Step {
  label: string;
  frames: WireFrame[];
  expect: Expect[];
  /** A protocol violation: RFC 6455 has the server close with 1002 (protocol) or 1007 (bad UTF-8). */
  violation?: 1002 | 1007;
  /** A close frame of ours with this code: the server echoes it and ends the connection. */
  closes?: number;
}

export const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const list = (s: string) => s.split(" | ");
export const oneOf = (s: string) => fc.constantFrom(...list(s));
// TextEncoder turns lone surrogates into U+FFFD, so these stay valid UTF-8; raw bad bytes are separate.
const utf8 = (s: string) => new TextEncoder().encode(s);
const clip = (s: string, max = 120) => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);
const NASTY = list(
  "' OR 1=1 -- | ../../etc/passwd | %00 | \u0000 | \ud800 | \udfff\ud800 | \u202eevil | 👩‍👩‍👧‍👦 | \ufeff | " +
    "__proto__ | constructor | null | 1e309 | -0 | $ne | (.*) | [a-z] | ** | agent.** | *.* | .* | agent. | " +
    ".spawned | AGENT.* | agent.spawned.x | agent.spawned  | ,, | \n | % | + | &",
);
export const nasty = fc.string({
  unit: fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 1 })),
  maxLength: 6,
});
const PATTERNS = ["*", ...new Set(EVENT_TYPES.map((t) => `${t.split(".")[0]}.*`)), ...EVENT_TYPES];
export const validFilter = fc.uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 4 });
const repeat = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

type Message = { text: string; replies: Reply[]; filter?: string[]; binary?: boolean };
const msg = (text: string, replies: Reply[], filter?: string[]): Message => ({ text, replies, filter });
const errorOn = (texts: fc.Arbitrary<string>) => texts.map((t) => msg(t, ["error"]));
const sub = (filter: unknown) => JSON.stringify({ op: "subscribe", filter });
const PING = `{"op":"ping"}`;
const pings = oneOf(`${PING} |  { "op" : "ping" }\n`).map((t) => msg(t, ["pong"]));
const subscribes = validFilter.map((f) => msg(sub(f), ["subscribed"], f));
const valid = fc.oneof(pings, subscribes);
const BAD = list(
  `{"op":"unsubscribe"} | {"op":"PING"} | {"op":null} | {"op":1} | {"op":["ping"]} | {} | [] | "ping" | 1 | null | ` +
    `true | {"op":"ping","x":1} | {"op":"subscribe"} | {"op":"subscribe","filter":"*"} | {"op":"subscribe","filter":[]} | ` +
    `{"op":"subscribe","filter":[1]} | {"op":"subscribe","filter":null} | {"op":"subscribe","filter":{"0":"*"}} | ` +
    `{"op":"subscribe","filter":["*"],"since":"x"} | {"op":"pıng"} | {"op":"\\ud800"} | {"op":"ping\u0000"} | ` +
    `\ufeff${PING} | {'op':'ping'} | {"op":"ping"}} | {"op":"ping",} | ${PING}${PING} | {"op":"\ud800"} | ` +
    `{"op":"ping","note":"👩‍👩‍👧‍👦\u202e"} | {"op":"constructor"} | {"op":"__proto__"} | {"op":"toString"}`,
);
const messages: fc.Arbitrary<Message> = fc.oneof(
  w(20, pings),
  w(15, subscribes),
  w(
    2,
    validFilter.map((f) => msg(JSON.stringify({ filter: f, op: "subscribe" }), ["subscribed"], f)),
  ),
  // Hostile entries are almost always refused; one that happens to be a valid pattern is accepted.
  w(
    8,
    fc.array(nasty, { maxLength: 4 }).map((f) => msg(sub(f), ["subscribed", "error"], f)),
  ),
  w(10, errorOn(fc.constantFrom(...BAD))),
  // JSON.parse keeps "__proto__" as an own key; whether the strict schema sees it is Zod's business.
  w(
    1,
    oneOf(`{"op":"ping","__proto__":{"x":1}} | {"__proto__":{"op":"ping"}}`).map((t) =>
      msg(t, ["pong", "error"]),
    ),
  ),
  w(6, errorOn(nasty)),
  // Every strict prefix of a JSON object is malformed.
  w(4, errorOn(fc.tuple(valid, fc.nat()).map(([m, n]) => m.text.trim().slice(0, n % m.text.trim().length)))),
  w(2, errorOn(fc.constantFrom(1_000, 100_000).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`))),
  w(2, errorOn(fc.constant(""))),
  w(
    4,
    valid.map((m) => ({ ...m, binary: true })),
  ),
  w(
    4,
    fc
      .uint8Array({ maxLength: 64 })
      .map((b) => ({ ...msg(Buffer.from(b).toString("latin1"), ["error"]), binary: true })),
  ),
  // Huge frames, bounded at 2 MB: built by repetition, generating them char by char would dominate the run.
  w(
    1,
    errorOn(
      fc
        .tuple(fc.integer({ min: 65_536, max: 2_000_000 }), nasty, fc.boolean())
        .map(([n, s, json]) => (json ? `{"op":"ping","pad":"${repeat("x", n)}"}` : repeat(s || "x", n))),
    ),
  ),
  w(1, errorOn(fc.constant(sub(Array(100_000).fill("*"))))),
);

/** A data message as one frame, or fragmented (sometimes with a ping between the fragments). */
const data: fc.Arbitrary<Step> = fc
  .tuple(messages, fc.array(fc.nat(), { maxLength: 3 }), fc.boolean())
  .map(([m, cuts, ping]) => {
    const bytes = m.binary ? Buffer.from(m.text, "latin1") : utf8(m.text);
    const at = [...new Set(cuts.map((c) => c % Math.max(1, bytes.length)))].sort((a, b) => a - b);
    const frames = [0, ...at].map((from, i, all): WireFrame => {
      const opcode = i > 0 ? OP.continuation : m.binary ? OP.binary : OP.text;
      return { opcode, payload: bytes.subarray(from, at[i] ?? bytes.length), fin: i === all.length - 1 };
    });
    if (ping && frames.length > 1) frames.splice(1, 0, { opcode: OP.ping, payload: utf8("mid") });
    const parts = frames.length > 1 ? ` in ${frames.length} frames` : "";
    const label = `${m.binary ? "binary" : "text"}${parts} ${JSON.stringify(clip(m.text))}`;
    return { label, frames, expect: [{ replies: m.replies, filter: m.filter }] };
  });
const control = fc.tuple(fc.constantFrom(OP.ping, OP.pong), fc.uint8Array({ maxLength: 125 })).map(
  ([opcode, payload]): Step => ({
    label: `control frame ${opcode}`,
    frames: [{ opcode, payload }],
    expect: [],
  }),
);
/** Many messages in one write: the server must answer each, in order. */
const burst = fc.tuple(fc.integer({ min: 20, max: 150 }), validFilter).map(([n, f]): Step => {
  const texts = Array.from({ length: n }, (_, i) => (i % 5 === 4 ? sub(f) : PING));
  const frames = texts.map((t) => ({ opcode: OP.text, payload: utf8(t) }));
  const expect = texts.map(
    (t): Expect => (t === PING ? { replies: ["pong"] } : { replies: ["subscribed"], filter: f }),
  );
  return { label: `burst of ${n} messages`, frames, expect };
});
const closing = (code: number, reason: string) =>
  Buffer.concat([Buffer.from([code >> 8, code & 255]), Buffer.from(reason)]);
const bad = (label: string, violation: 1002 | 1007, ...frames: WireFrame[]): Step => ({
  label,
  frames,
  expect: [],
  violation,
});
const text = (s: string, fin = true) => ({ opcode: OP.text, payload: utf8(s), fin });
const violations: fc.Arbitrary<Step> = fc.oneof(
  oneOf("eda080 | ff | c0af | 7bf8888080807d | e282").map((hex) =>
    bad(`text with invalid UTF-8 ${hex}`, 1007, { opcode: OP.text, payload: Buffer.from(hex, "hex") }),
  ),
  fc
    .constantFrom(3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
    .map((opcode) => bad(`opcode ${opcode}`, 1002, { opcode, payload: utf8(PING) })),
  fc.constant(bad("unmasked frame", 1002, { ...text(PING), masked: false })),
  fc.constantFrom(1, 2, 4).map((rsv) => bad(`rsv ${rsv}`, 1002, { ...text(PING), rsv })),
  fc.constant(bad("continuation with no message", 1002, { opcode: OP.continuation, payload: utf8(PING) })),
  fc.constant(bad("new message inside a fragmented one", 1002, text('{"op":', false), text(PING))),
  fc.constant(bad("ping over 125 bytes", 1002, { opcode: OP.ping, payload: new Uint8Array(126) })),
  fc.constant(bad("fragmented ping", 1002, { opcode: OP.ping, payload: utf8("a"), fin: false })),
  fc
    .constantFrom(0, 999, 1005, 1006, 1015, 5000)
    .map((code) => bad(`close code ${code}`, 1002, { opcode: OP.close, payload: closing(code, "x") })),
  fc.constant(bad("1-byte close", 1002, { opcode: OP.close, payload: new Uint8Array([3]) })),
  fc.constant(
    bad("close reason with invalid UTF-8", 1007, { opcode: OP.close, payload: Buffer.from([3, 0xe8, 0xff]) }),
  ),
);
const clientClose = fc.tuple(fc.constantFrom(1000, 1001, 3000, 4000, 4999), oneOf(" | bye | 👋")).map(
  ([code, reason]): Step => ({
    label: `close ${code} ${reason}`,
    frames: [{ opcode: OP.close, payload: closing(code, reason) }],
    expect: [],
    closes: code,
  }),
);

/** What a client sends once connected. */
export const steps = fc.array(
  fc.oneof(w(70, data), w(6, control), w(3, burst), w(4, violations), w(2, clientClose)),
  { maxLength: 10 },
);
