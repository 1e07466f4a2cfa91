import { expect, test } from "bun:test";
import { z } from "zod";
import { ROUTES } from "../../src/api/server.ts";
import { JSON_BOUND_KEY, LIMITS } from "../../src/domain/limits.ts";
import { boundedJson, boundedJsonObject } from "../../src/domain/validate.ts";

/*
 * Issue 24: every free-form field a client can get stored has a size bound. This walks the JSON
 * Schema of every route's `body` and `query` (the one the OpenAPI document shows) and lists each
 * string without maxLength, array without maxItems, and record or free JSON value without the
 * bound that boundedJson()/boundedJsonObject() mark it with (`x-max-bytes`).
 */
type Node = Record<string, unknown>;

interface Walk {
  /** Where a value has no bound. */
  unbounded: string[];
  /** Where a bounded JSON value is, and its bound in bytes. */
  json: string[];
}

const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);
const positive = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;

/** `#/$defs/x` in the root document. */
function resolve(root: Node, ref: string): Node {
  const name = ref.replace(/^#\/\$defs\//, "");
  const found = (root.$defs as Node | undefined)?.[name];
  if (!isNode(found)) throw new Error(`unresolved $ref ${ref}`);
  return found;
}

function walk(root: Node, node: Node, path: string, out: Walk, seen: Set<Node>): void {
  if (JSON_BOUND_KEY in node) {
    // One bound covers everything inside (keys, strings, arrays, nesting): it is not walked further.
    if (!positive(node[JSON_BOUND_KEY])) out.unbounded.push(`${path} (bad ${JSON_BOUND_KEY})`);
    else out.json.push(`${path} ≤ ${node[JSON_BOUND_KEY]} B`);
    return;
  }
  if (typeof node.$ref === "string") {
    const target = resolve(root, node.$ref);
    if (seen.has(target)) return; // a cycle: the first visit reports it
    seen.add(target);
    walk(root, target, path, out, seen);
    return;
  }
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const options = node[key];
    if (!Array.isArray(options)) continue;
    for (const [i, option] of options.entries()) walk(root, option as Node, `${path}<${key}${i}>`, out, seen);
  }
  const types = [node.type].flat().filter((t): t is string => typeof t === "string");
  const closed = "enum" in node || "const" in node;
  // A ulid is 26 characters by its grammar (and its pattern says so).
  const fixed = node.format === "ulid";
  if (types.includes("string") && !closed && !fixed && !positive(node.maxLength))
    out.unbounded.push(`${path}: string without maxLength`);
  if (types.includes("array")) {
    if (!positive(node.maxItems)) out.unbounded.push(`${path}: array without maxItems`);
    if (isNode(node.items)) walk(root, node.items, `${path}[]`, out, seen);
    const tuple = Array.isArray(node.prefixItems) ? node.prefixItems : [];
    for (const [i, item] of tuple.entries()) walk(root, item as Node, `${path}[${i}]`, out, seen);
  }
  if (types.includes("object")) {
    for (const [name, child] of Object.entries((node.properties ?? {}) as Node))
      walk(root, child as Node, `${path}.${name}`, out, seen);
    // A record (or a loose object) stores any number of keys: only a byte bound bounds it.
    const extra = node.additionalProperties;
    if (extra !== undefined && extra !== false && !positive(node.maxProperties))
      out.unbounded.push(`${path}: record or loose object without ${JSON_BOUND_KEY}`);
    else if (isNode(extra)) walk(root, extra, `${path}.*`, out, seen);
  }
  const shaped = types.length > 0 || closed || ["anyOf", "oneOf", "allOf", "not"].some((k) => k in node);
  if (!shaped) out.unbounded.push(`${path}: any JSON value without ${JSON_BOUND_KEY}`);
}

function walkSchema(schema: z.ZodType, path: string): Walk {
  const root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Node;
  const out: Walk = { unbounded: [], json: [] };
  walk(root, root, path, out, new Set());
  return out;
}

function walkRoutes(): Walk {
  const all: Walk = { unbounded: [], json: [] };
  for (const route of ROUTES) {
    for (const part of ["query", "body"] as const) {
      const schema = route[part];
      if (!schema) continue;
      const found = walkSchema(schema, `${route.method} ${route.path} ${part}`);
      all.unbounded.push(...found.unbounded);
      all.json.push(...found.json);
    }
  }
  return all;
}

test("every string, array and JSON value of every route's body and query has a size bound", () => {
  expect(walkRoutes().unbounded).toEqual([]);
});

test("the walk sees the bounded JSON fields, each with its bound from LIMITS", () => {
  expect(walkRoutes().json.sort()).toEqual([
    `POST /api/agents body.metadata ≤ ${LIMITS.metadata.bytes} B`,
    `POST /api/approvals body.details ≤ ${LIMITS.details.bytes} B`,
    `POST /api/swarm body.inputs[] ≤ ${LIMITS.input.bytes} B`,
  ]);
});

test("the walk fails on what it must: unbounded strings, arrays, records and free JSON", () => {
  const loose = z.strictObject({
    title: z.string(),
    tags: z.array(z.string().max(10)),
    details: z.record(z.string(), z.json()),
    value: z.unknown(),
    extra: z.object({ a: z.string().max(1) }).loose(),
    either: z.union([z.string().max(5), z.string()]),
    fine: z.strictObject({ id: z.ulid(), kind: z.enum(["a", "b"]), n: z.number() }),
  });
  expect(walkSchema(loose, "x").unbounded).toEqual([
    "x.title: string without maxLength",
    "x.tags: array without maxItems",
    `x.details: record or loose object without ${JSON_BOUND_KEY}`,
    `x.value: any JSON value without ${JSON_BOUND_KEY}`,
    `x.extra: record or loose object without ${JSON_BOUND_KEY}`,
    "x.either<anyOf1>: string without maxLength",
  ]);
  // z.json() is recursive ($ref into $defs): its strings and arrays are found through the reference.
  expect(walkSchema(z.array(z.json()).max(3), "j").unbounded).toContain(
    "j[]<anyOf0>: string without maxLength",
  );
  const bounded = z.strictObject({ a: boundedJson(LIMITS.input), b: boundedJsonObject(LIMITS.details) });
  expect(walkSchema(bounded, "y")).toEqual({
    unbounded: [],
    json: [`y.a ≤ ${LIMITS.input.bytes} B`, `y.b ≤ ${LIMITS.details.bytes} B`],
  });
});

test("the helpers enforce the bound they show: bytes as JSON and nesting depth, naming the field", () => {
  const schema = z.strictObject({ details: boundedJsonObject({ bytes: 100, depth: 3 }) });
  const fits = { a: "x".repeat(100 - '{"a":""}'.length) };
  expect(schema.safeParse({ details: fits }).success).toBe(true);
  const over = schema.safeParse({ details: { a: `${fits.a}y` } });
  expect(over.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
    ["details", "must be at most 100 bytes as JSON, got 101"],
  ]);
  const deep = schema.safeParse({ details: { a: { b: { c: { d: 1 } } } } });
  expect(deep.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
    ["details", "must nest at most 3 levels deep"],
  ]);
  // Multi-byte text counts in bytes, as it is stored.
  expect(boundedJson({ bytes: 10, depth: 1 }).safeParse("ééééé").success).toBe(false);
  expect(boundedJson({ bytes: 12, depth: 1 }).safeParse("ééééé").success).toBe(true);
  // 100,000 levels is refused by the depth check, without overflowing the stack.
  const nested = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
  expect(boundedJson(LIMITS.input).safeParse(nested).success).toBe(false);
});
