import { encodeTime, TIME_LEN } from "ulid";
import { DashError } from "./errors.ts";

/** Crockford's base 32, ULID's alphabet. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_LEN = 16;

/**
 * Random bytes from crypto.getRandomValues, drawn 4 KiB at a time: ulid's own generator asks for
 * one byte per character (16 calls per id), which was 5 % of a swarm create's CPU.
 */
const pool = new Uint8Array(4096);
let taken = pool.length;
function randomChar(): string {
  if (taken === pool.length) {
    crypto.getRandomValues(pool);
    taken = 0;
  }
  return ALPHABET[(pool[taken++] as number) & 31] as string;
}

/**
 * `text` + 1 in Crockford's base 32, as ulid's incrementBase32 but with one string built, not one
 * per character looked at (it was 2 % of a swarm create's CPU: ids made in one millisecond).
 */
export function incrementBase32(text: string): string {
  for (let i = text.length - 1; i >= 0; i--) {
    const digit = ALPHABET.indexOf(text.charAt(i));
    if (digit < 0) break;
    if (digit < ALPHABET.length - 1)
      return text.slice(0, i) + ALPHABET.charAt(digit + 1) + "0".repeat(text.length - 1 - i);
  }
  throw new DashError("INTERNAL_ERROR", `cannot increment the id ${text}`);
}

/** The time part of a ULID for `now`, encoded once per millisecond (encodeTime loops per char). */
let prefixTime = -1;
let prefix = "";
function timePrefix(now: number): string {
  if (now !== prefixTime) {
    prefix = encodeTime(now, TIME_LEN);
    prefixTime = now;
  }
  return prefix;
}

/**
 * A ULID generator, monotonic (as ulid's monotonicFactory): two ids made in the same millisecond,
 * or after the clock stepped back, still sort in creation order.
 */
export function idFactory(): (seedTime?: number) => string {
  let lastTime = -1;
  let lastRandom = "";
  return (seedTime) => {
    const now = seedTime ?? Date.now();
    if (now <= lastTime) {
      lastRandom = incrementBase32(lastRandom);
      return timePrefix(lastTime) + lastRandom;
    }
    lastTime = now;
    let random = "";
    for (let i = 0; i < RANDOM_LEN; i++) random += randomChar();
    lastRandom = random;
    return timePrefix(now) + random;
  };
}

/** This process's ids: monotonic across everything it makes. */
export const newId = idFactory();

/**
 * The next event id after `lastId` (the newest id already committed). Called inside the writing
 * transaction, so event ids sort in commit order even across processes sharing one database file
 * and even if the clock steps back. A ULID's first characters are its time and ULIDs sort as
 * text, so the times are compared as text (decoding one costs more than the rest of this).
 */
export function nextEventId(lastId: string | null, now: number): string {
  if (lastId === null || lastId.slice(0, TIME_LEN) < timePrefix(now)) return newId(now);
  return incrementBase32(lastId);
}
