import { z } from "zod";
import { LIMITS } from "../domain/limits.ts";

/** Query-string pieces shared by the list routes (values arrive as strings). */
export const LimitSchema = z.coerce.number().int().min(1).max(1000).default(100);
export const CursorSchema = z.ulid();
/** Optimistic lock from a client: the version it last saw. */
export const ExpectedVersionSchema = z.number().int().min(1).optional();
/** The body of a state-machine move (pause, resume, kill): an optional lock and a reason. */
export const MoveBodySchema = z.strictObject({
  expectedVersion: ExpectedVersionSchema,
  reason: z.string().max(LIMITS.reason).optional(),
});
export type MoveBody = z.infer<typeof MoveBodySchema>;

/**
 * Cuts rows fetched with `limit + 1` to one page. The extra row only says that more follow, so the
 * last page has a null cursor even when it is exactly full.
 */
export function cutPage<T extends { id: string }>(rows: readonly T[], limit: number) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}
