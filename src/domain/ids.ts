import { decodeTime, incrementBase32, monotonicFactory } from "ulid";

/** Monotonic within this process: two ids made in the same millisecond still sort in creation order. */
export const newId = monotonicFactory();

/**
 * The next event id after `lastId` (the newest id already committed). Called inside the writing
 * transaction, so event ids sort in commit order even across processes sharing one database file
 * and even if the clock steps back.
 */
export function nextEventId(lastId: string | null, now: number): string {
  if (lastId === null || decodeTime(lastId) < now) return newId(now);
  return incrementBase32(lastId);
}
