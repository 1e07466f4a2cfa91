import { z } from "zod";
import { DashError } from "./errors.ts";
import { JSON_BOUND_KEY, type JsonBound } from "./limits.ts";

/** Parses with a zod schema; a failure is a VALIDATION_ERROR that names each bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
  const first = issues[0];
  const where = first && first.path !== "(root)" ? ` at ${first.path}` : "";
  // `field` and `issue` name the first problem as in the PRD §5.5 example; `issues` lists them all.
  throw new DashError("VALIDATION_ERROR", `Invalid ${what}${where}: ${first?.message ?? "invalid value"}`, {
    field: first?.path ?? "(root)",
    issue: first?.message ?? "invalid value",
    issues,
  });
}

/** True when `value` nests objects/arrays deeper than `max` (checked without recursion). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== "object") continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** What is over the bound in a JSON value (null: it fits); `bytes` is null when it nests too deep. */
export function jsonExcess(value: unknown, bound: JsonBound): { why: string; bytes: number | null } | null {
  // Depth first: serializing 100,000 levels would overflow the stack.
  if (deeperThan(value, bound.depth))
    return { why: `must nest at most ${bound.depth} levels deep`, bytes: null };
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return { why: "must be a JSON value", bytes: null };
  }
  const bytes = Buffer.byteLength(text ?? "null");
  return bytes > bound.bytes
    ? { why: `must be at most ${bound.bytes} bytes as JSON, got ${bytes}`, bytes }
    : null;
}

/** Marks a bounded JSON field in its JSON Schema (and so in the OpenAPI document). */
const boundMeta = (bound: JsonBound) => ({
  description: `JSON: at most ${bound.bytes} bytes serialized, nested at most ${bound.depth} levels`,
  [JSON_BOUND_KEY]: bound.bytes,
  "x-max-depth": bound.depth,
});

function checkBound(bound: JsonBound) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    const excess = jsonExcess(value, bound);
    if (excess) ctx.addIssue({ code: "custom", message: excess.why });
  };
}

/**
 * Free JSON from a client (an input, approval details): bounded in depth and size, so storing it,
 * and every list that returns it, stays cheap and cannot overflow the stack. The one way to take
 * free JSON: the field-bounds test refuses any JSON field without this helper's mark.
 */
export function boundedJson(bound: JsonBound) {
  return z.unknown().superRefine(checkBound(bound)).meta(boundMeta(bound));
}

/** A bounded JSON object (agent metadata, approval details): keys and values count in its bytes. */
export function boundedJsonObject(bound: JsonBound) {
  return z.record(z.string(), z.unknown()).superRefine(checkBound(bound)).meta(boundMeta(bound));
}
