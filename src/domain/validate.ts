import type { z } from "zod";
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
