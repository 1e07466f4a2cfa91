import { z } from "zod";

/** Query-string pieces shared by the list routes (values arrive as strings). */
export const LimitSchema = z.coerce.number().int().min(1).max(1000).default(100);
export const CursorSchema = z.ulid();
/** Optimistic lock from a client: the version it last saw. */
export const ExpectedVersionSchema = z.number().int().min(1).optional();

/** A page of a list: `nextCursor` is the last id, to pass as `cursor`; null on the last page. */
export function page<T extends z.ZodType>(key: string, item: T) {
  return z.object({ [key]: z.array(item), nextCursor: z.ulid().nullable() });
}

export function nextCursor<T extends { id: string }>(rows: readonly T[], limit: number): string | null {
  return rows.length === limit ? (rows.at(-1)?.id ?? null) : null;
}
