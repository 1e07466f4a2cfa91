import { encodeTime, incrementBase32, monotonicFactory, TIME_LEN } from "ulid";

/**
 * Random bytes from crypto.getRandomValues, drawn 4 KiB at a time: ulid's own generator asks for
 * one byte per character (16 calls per id), which was 5 % of a swarm create's CPU.
 */
const pool = new Uint8Array(4096);
let taken = pool.length;
function random(): number {
  if (taken === pool.length) {
    crypto.getRandomValues(pool);
    taken = 0;
  }
  return (pool[taken++] as number) / 256;
}

/** Monotonic within this process: two ids made in the same millisecond still sort in creation order. */
export const newId = monotonicFactory(random);

/**
 * The next event id after `lastId` (the newest id already committed). Called inside the writing
 * transaction, so event ids sort in commit order even across processes sharing one database file
 * and even if the clock steps back. A ULID's first characters are its time and ULIDs sort as
 * text, so the times are compared as text (decoding one costs more than the rest of this).
 */
export function nextEventId(lastId: string | null, now: number): string {
  if (lastId === null || lastId.slice(0, TIME_LEN) < encodeTime(now, TIME_LEN)) return newId(now);
  return incrementBase32(lastId);
}
