import { ErrorResponseSchema } from "../../src/domain/error-response.ts";
import { EventSchema } from "../../src/domain/event.ts";
import { OP, type ServerFrame } from "./fuzz-ws-client.ts";
import type { Expect } from "./fuzz-ws-messages.ts";

/*
 * Judges the frames `/events` sent on one connection against what src/api/websocket.ts documents:
 * text frames are events (PRD §5.4) or the control frames ready, pong, subscribed and error (its
 * `error` in the PRD §5.5 envelope); each message gets one reply, in order; events match the filter
 * in force (the query's, then each acknowledged subscribe's) and come in id order.
 */

/** Records one problem (a short, groupable key) and the detail of this occurrence. */
export type Note = (problem: string, detail: string) => void;

export const clip = (s: string, max = 300) =>
  s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
export const closeOf = (f: ServerFrame) =>
  f.payload.length < 2
    ? { code: 1005, reason: "" }
    : { code: f.payload.readUInt16BE(0), reason: String(f.payload.subarray(2)) };
/** The documented glob: `*`, `<noun>.*`, or an exact type (written here, not imported, to check the server's). */
export const matches = (type: string, filter: string[]) =>
  filter.some((f) => f === "*" || f === type || (f.endsWith(".*") && type.startsWith(f.slice(0, -1))));
type Body = {
  op?: unknown;
  error?: unknown;
  filter?: unknown;
  lastEventId?: unknown;
  type?: string;
  id?: string;
};

function valid(kind: string, body: Body): boolean {
  if (kind === "event") return EventSchema.safeParse(body).success;
  if (kind === "error")
    return ErrorResponseSchema.safeParse({ error: body.error }).success && Object.keys(body).length === 2;
  if (kind === "subscribed") return Array.isArray(body.filter);
  if (kind === "ready") return body.lastEventId === null || typeof body.lastEventId === "string";
  return kind === "pong";
}

/** What one frame from the server is, or why it is none of the documented frames. */
function classify(f: ServerFrame): { kind: string; body?: Body; problem?: string } {
  if (f.opcode === OP.ping || f.opcode === OP.pong || f.opcode === OP.close) return { kind: "control" };
  if (f.opcode !== OP.text) return { kind: "?", problem: `server sent opcode ${f.opcode}` };
  let body: Body;
  try {
    body = JSON.parse(String(f.payload)) as Body;
  } catch {
    return { kind: "?", problem: "server sent a text frame that is not JSON" };
  }
  const kind = typeof body.op === "string" ? body.op : "event";
  if (valid(kind, body)) return { kind, body };
  return {
    kind,
    body,
    problem: kind === "error" ? "error frame not in the PRD envelope" : `malformed ${kind} frame`,
  };
}

/** An event received, or (no id) an acknowledged subscribe; `filter` is the one in force after it. */
export type Item = { id?: string; type?: string; filter: string[] };
export interface Judged {
  replies: number;
  readyId: string | null;
  initial: string[];
  stream: Item[];
}

export function judgeFrames(frames: ServerFrame[], expected: Expect[], query: string, note: Note): Judged {
  const initial = new URLSearchParams(query).get("filter");
  let filter = initial ? initial.split(",").map((f) => f.trim()) : ["*"];
  const judged: Judged = { replies: 0, readyId: null, initial: filter, stream: [] };
  let last = "";
  for (const f of frames) {
    const { kind, body, problem } = classify(f);
    const text = () => JSON.stringify(clip(String(f.payload)));
    if (problem) note(problem, text());
    if (!body) continue;
    if (kind === "ready") judged.readyId = (body.lastEventId as string | null) ?? null;
    if (kind === "ready") continue;
    if (kind === "event") {
      const [id, type] = [String(body.id), String(body.type)];
      if (!matches(type, filter))
        note("an event outside the filter in force", `${type} with filter ${filter}`);
      if (id <= last) note("events out of id order or repeated", `${id} after ${last}`);
      judged.stream.push({ id, type, filter });
      last = id;
      continue;
    }
    const want = expected[judged.replies++];
    if (!want) note("more replies than messages", text());
    else if (!want.replies.includes(kind as Expect["replies"][number]))
      note(`${kind} where ${want.replies.join("/")} was due`, text());
    if (kind === "subscribed") {
      if (want?.filter && JSON.stringify(body.filter) !== JSON.stringify(want.filter))
        note("subscribed echoed another filter", JSON.stringify(body.filter));
      filter = body.filter as string[];
      judged.stream.push({ filter });
    }
  }
  return judged;
}

/**
 * The `due` events that should have come and did not. An event would sit between
 * the received events next to it in id order; when no subscribe was acknowledged there, the filter
 * in force there is known, and an event it matches must have come (no gap, PRD §5.4 resume).
 */
export function missing(judged: Judged, due: { id: string; type: string }[]): string[] {
  const { stream, initial } = judged;
  const received = new Set(stream.map((item) => item.id));
  return due
    .filter((e) => !received.has(e.id))
    .filter((e) => {
      const next = stream.findIndex((item) => item.id !== undefined && item.id > e.id);
      const before = stream.slice(0, next < 0 ? undefined : next);
      const prev = before.findLastIndex((item) => item.id !== undefined);
      if (before.slice(prev + 1).some((item) => item.id === undefined)) return false; // a subscribe in between
      return matches(e.type, stream[prev]?.filter ?? initial);
    })
    .map((e) => e.id);
}
