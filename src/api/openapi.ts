import { z } from "zod";
import { ErrorResponseSchema } from "../domain/error-response.ts";
import { VERSION } from "../version.ts";
import type { Route } from "./route.ts";

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
};

/** `/api/swarm/:id` → `/api/swarm/{id}` and its path parameters. */
function pathOf(route: Route): { path: string; params: string[] } {
  const params = [...route.path.matchAll(/:([a-zA-Z]+)/g)].map((m) => m[1] as string);
  return { path: route.path.replace(/:([a-zA-Z]+)/g, "{$1}"), params };
}

function queryParameters(route: Route): JsonSchema[] {
  if (!route.query) return [];
  const schema = toSchema(route.query, "input");
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: required.has(name),
    schema: property,
  }));
}

function operation(route: Route): JsonSchema {
  const { params } = pathOf(route);
  const status = String(route.status ?? 200);
  const error = {
    description: "Error",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
  return {
    summary: route.summary,
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[/:]+([a-zA-Z])/g, (_, c: string) => c.toUpperCase())}`,
    security: route.permission === "public" ? [] : [{ bearer: [] }],
    "x-dash-permission": route.permission,
    parameters: [
      ...params.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
      ...queryParameters(route),
    ],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: toSchema(route.body, "input") } },
          },
        }
      : {}),
    responses: {
      [status]: {
        description: "Success",
        content: { "application/json": { schema: toSchema(route.response, "output") } },
      },
      default: error,
    },
  };
}

/** OpenAPI 3.1 for the route table, generated from the same zod schemas the server validates with. */
export function openApiDocument(routes: readonly Route[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const { path } = pathOf(route);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Dash API", version: VERSION, description: "Orchestrator for swarms of AI agents." },
    servers: [{ url: "http://127.0.0.1:7373" }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "dash_api_key_…" } },
      schemas: { Error: toSchema(ErrorResponseSchema, "output") },
    },
    paths,
  };
}
