import { defineCommand } from "citty";
import type { ModelCallResponse } from "../domain/model-call.ts";
import { age, clientArgs, clientFor, money, numberArg, output } from "./common.ts";
import { dim, green, red, table, yellow } from "./style.ts";

/** `dash agent calls <id>`: the agent's model calls through the gateway, newest first. */
const STATUS: Record<ModelCallResponse["status"], (s: string) => string> = {
  open: yellow,
  settled: green,
  refused: red,
  released: dim,
  lost: yellow,
};

export function callsTable(calls: ModelCallResponse[]): string {
  if (calls.length === 0) return dim("No model calls through the gateway.");
  const rows = calls.map((c) => [
    age(c.startedAt),
    STATUS[c.status](c.status),
    c.model,
    c.maxTokens === null
      ? "-"
      : c.requestedMaxTokens !== null && c.maxTokens < c.requestedMaxTokens
        ? yellow(`${c.maxTokens} (asked ${c.requestedMaxTokens})`)
        : String(c.maxTokens),
    c.promptTokens.toLocaleString("en-US"),
    c.completionTokens.toLocaleString("en-US"),
    money(c.cost, "USD"),
    c.latencyMs === null ? "-" : `${c.latencyMs} ms`,
    c.error ? dim(c.error.length > 60 ? `${c.error.slice(0, 60)}…` : c.error) : "",
  ]);
  return table(["AGO", "STATUS", "MODEL", "MAX OUT", "IN", "OUT", "COST", "LATENCY", "NOTE"], rows);
}

export const calls = defineCommand({
  meta: {
    name: "calls",
    description: "The agent's model calls through the gateway: admitted or refused, tokens, cost",
  },
  args: {
    id: { type: "positional", required: true, description: "Agent id" },
    limit: { type: "string", description: "At most this many, newest first (1-1000, default 100)" },
    ...clientArgs,
  },
  async run({ args }) {
    const limit = numberArg("--limit", args.limit, { integer: true, min: 1 });
    const page = await clientFor(args).listCalls(args.id, { limit });
    output(args, page, () => callsTable(page.calls));
  },
});
