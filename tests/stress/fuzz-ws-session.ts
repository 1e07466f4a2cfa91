import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { connectRaw, encode, OP, type RawConnection, type ServerFrame, within } from "./fuzz-ws-client.ts";
import type { SessionPlan } from "./fuzz-ws-connect.ts";
import { clip, closeOf, judgeFrames, missing, type Note } from "./fuzz-ws-judge.ts";
import type { Expect } from "./fuzz-ws-messages.ts";

/*
 * Plays one generated session against `/events` and judges it: refusals close with 4400/4401 and a
 * reason (and the right one for the credential), every message gets exactly one reply, protocol
 * violations close with RFC 6455's 1002/1007 and a reason, a connection that broke nothing still
 * answers a ping, and the live events it got have no gap (see fuzz-ws-judge.ts for the frames).
 */

/** How a session meets its round: the round's HTTP calls run once every session is connected. */
export interface Sync {
  /** Called once the session has sent its frames (or knows it never will). */
  ready: () => void;
  /** Resolves when the round's HTTP calls are done: their events are then in the stream. */
  acted: Promise<void>;
  /** Every committed event, in id order. */
  committed: () => { id: string; type: string; timestamp: number }[];
  /** Counts the events the session received, for the summary. */
  received: (events: number) => void;
  /** How long to wait for an answer: short once one hung, so a hanging server fails fast, listing all. */
  patience: { ms: number };
}

const REFUSALS = new Set([4400, 4401]);
/** Waits for `check`; once anything has hung, later waits are short so a hung server still fails fast. */
async function wait(conn: RawConnection, check: () => boolean, patience: { ms: number }): Promise<boolean> {
  const ok = await conn.until(check, patience.ms);
  if (!ok) patience.ms = Math.min(patience.ms, 300);
  return ok;
}
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;

/** Judges the HTTP answer to the upgrade; returns "101", or the outcome of a session that ends there. */
async function upgraded(conn: RawConnection, plan: SessionPlan, note: Note, ms: number): Promise<string> {
  const answer = await within(conn.answer, ms);
  if (answer === "timeout" || !answer) {
    note(answer ? "no answer to the upgrade in time" : "connection closed without an HTTP answer", "");
    return answer ?? "no answer";
  }
  const { connect: c } = plan;
  if (answer.status === 101) {
    const chosen = /^sec-websocket-protocol: *(.*)$/im.exec(answer.head)?.[1]?.trim();
    const header = c.headers.find((h) => h.startsWith("Sec-WebSocket-Protocol:"));
    const offered = header?.slice(header.indexOf(":") + 1).split(",");
    if (chosen && !offered?.some((p) => p.trim() === chosen))
      note("101 chose a protocol the client did not offer", chosen);
    return "101";
  }
  const detail = `→ ${answer.status} ${JSON.stringify(clip(answer.body))}`;
  if (answer.status >= 500) note(`${answer.status} on the upgrade`, detail);
  else if (c.route === "events" && !(c.huge && answer.status === 431))
    note(`/events answered ${answer.status}, not 101`, detail);
  // Bun answers headers over its 16 KB limit itself, with an empty 431, before any Dash code runs.
  const bare = answer.status === 431 && answer.body === "";
  if (
    !bare &&
    !ErrorResponseSchema.safeParse(await new Response(answer.body).json().catch(() => null)).success
  )
    note(`non-envelope ${answer.status} on the upgrade`, detail);
  return `HTTP ${answer.status}`;
}

/** Plays `plan`; the query already has its placeholders resolved. Returns the outcome, for the histogram. */
export async function playSession(port: number, plan: SessionPlan, query: string, note: Note, sync: Sync) {
  const { connect: c } = plan;
  const head = [
    `GET ${c.path}${query} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
  ]
    .concat("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", c.headers, "", "")
    .join("\r\n");
  const conn = connectRaw(port, head);
  const patience = sync.patience;
  try {
    const status = await upgraded(conn, plan, note, patience.ms);
    if (status !== "101") return status;
    const first = () =>
      conn.frames.find((f) => f.opcode === OP.close || /^\{"op":"ready"/.test(String(f.payload)));
    if (!(await wait(conn, () => first() !== undefined, patience))) {
      note("neither ready nor a close in time", "");
      return "hang";
    }
    const opening = first() as ServerFrame;
    if (opening.opcode === OP.close) {
      const { code, reason } = closeOf(opening);
      if (!REFUSALS.has(code) || reason === "")
        note(`refused with ${code}${reason ? "" : " and no reason"}`, reason);
      else if (c.auth === "valid" && code === 4401) note("a valid key was refused with 4401", reason);
      else if (c.auth === "invalid" && code !== 4401) note(`a bad credential got ${code}, not 4401`, reason);
      else if (c.auth === "valid" && c.params === "valid" && code === 4400)
        note("a valid filter or since was refused", reason);
      if (conn.frames.length > 1)
        note("a refused connection was sent frames", String(conn.frames[0]?.payload));
      if (!(await wait(conn, conn.ended, patience))) note("a refused connection stayed open", "");
      return `refused ${code}`;
    }
    if (c.auth === "invalid") note("a bad credential was accepted", "");
    return await exchange(conn, plan, query, note, sync);
  } finally {
    sync.ready();
    conn.destroy();
  }
}

async function exchange(conn: RawConnection, plan: SessionPlan, query: string, note: Note, sync: Sync) {
  const end = plan.steps.findIndex((s) => s.violation || s.closes);
  const last = plan.steps[end];
  const expected: Expect[] = plan.steps.slice(0, end < 0 ? undefined : end).flatMap((s) => s.expect);
  if (last) conn.quiet(); // after a close or a violation of ours, even a pong would be one more
  const bytes = Buffer.concat(plan.steps.flatMap((s) => s.frames).map(encode));
  const cuts = [0, ...plan.cuts.map((f) => Math.floor(f * bytes.length)).sort((a, b) => a - b), bytes.length];
  for (let i = 1; i < cuts.length; i++) {
    conn.write(bytes.subarray(cuts[i - 1], cuts[i]));
    await Bun.sleep(0);
  }
  sync.ready();
  await sync.acted;
  const replies = () =>
    conn.frames.filter((f) => /^\{"op":"(pong|subscribed|error)"/.test(String(f.payload)));
  const closed = () => conn.frames.find((f) => f.opcode === OP.close);
  let committed: ReturnType<Sync["committed"]> | undefined;
  if (!last) {
    // A final ping proves the connection is still usable; the round's events all come before its pong.
    conn.write(encode({ opcode: OP.text, payload: Buffer.from('{"op":"ping"}') }));
    expected.push({ replies: ["pong"] });
    if (!(await wait(conn, () => replies().length >= expected.length, sync.patience)))
      note("hang: not every message answered in time", `${replies().length} of ${expected.length} replies`);
    else committed = sync.committed();
    conn.quiet();
    conn.write(encode({ opcode: OP.close, payload: Buffer.from([3, 232]) }));
  }
  if (!(await wait(conn, () => closed() !== undefined && conn.ended(), sync.patience)))
    note(`no close frame and end in time (${last?.label ?? "our close"})`, "");
  const close = closed();
  if (close) {
    const { code, reason } = closeOf(close);
    const want = last?.violation ?? last?.closes ?? 1000;
    if (code !== want && code !== 4429)
      note(`closed with ${code} where ${want} was due`, `${reason} (${last?.label ?? "our close"})`);
    if (last?.violation && reason === "") note(`violation closed with ${code} and no reason`, last.label);
  }
  const judged = judgeFrames(conn.frames, expected, query, note);
  const events = judged.stream.filter((item) => item.id !== undefined);
  sync.received(events.length);
  // Messages before a close or a violation are all processed (and answered) before it.
  if (last && judged.replies < expected.length)
    note(
      "fewer replies than messages before the close",
      `${judged.replies} of ${expected.length} (${last.label})`,
    );
  // Replay then live, no gap and no duplicate (PRD §5.4, websocket-replay.ts): what comes is every
  // event after the since cursor or from the since time (inclusive), then every event after ready.
  const since = new URLSearchParams(query).get("since");
  const cursor = since && ULID.test(since) ? since.toUpperCase() : null;
  const from = since && !cursor ? Date.parse(since) : Number.POSITIVE_INFINITY;
  const due = (e: { id: string; timestamp: number }) =>
    e.id > (judged.readyId ?? "") || (cursor !== null && e.id > cursor) || e.timestamp >= from;
  if (committed) {
    const dueIds = new Set(committed.filter(due).map((e) => e.id));
    const early = events.find((e) => !dueIds.has(e.id as string));
    if (early)
      note(
        "an event from before since (or before ready)",
        `${early.id}, since ${since}, ready ${judged.readyId}`,
      );
    const gaps = missing(judged, committed.filter(due));
    if (gaps.length > 0)
      note("events of the filter never came (a gap)", `${gaps.length} missing, first ${gaps[0]}`);
  }
  return last ? (last.violation ? `violation ${last.violation}` : "closed by client") : "usable";
}
