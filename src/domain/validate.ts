import { z } from "zod";
import { DashError } from "./errors.ts";

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

/**
 * Free-form JSON from a client (agent metadata): bounded in depth and size, so storing it, and
 * every list that returns it, stays cheap and cannot overflow the stack.
 */
export function boundedJsonObject(maxDepth = 16, maxBytes = 64 * 1024) {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    if (deeperThan(value, maxDepth)) {
      ctx.addIssue({ code: "custom", message: `must nest at most ${maxDepth} levels deep` });
      return;
    }
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > maxBytes)
      ctx.addIssue({ code: "custom", message: `must be at most ${maxBytes} bytes as JSON, got ${bytes}` });
  });
}
