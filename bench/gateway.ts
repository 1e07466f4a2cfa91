/**
 * What the metering gateway (issue 23) adds to a model call: the same calls sent to the fake
 * provider directly and through a real `dash serve`'s /gateway/ with a real agent's token (each
 * call admitted in one SQLite transaction, streamed through, settled in another), in one run.
 * The provider (tests/fake-metered-provider.ts) and the server each run in their own process, so
 * the load generator shares neither's event loop. Added latency is gateway minus direct at each
 * percentile; first byte is the first chunk of a streamed body. Nothing here asserts a time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callsByStatus, OPERATOR, startGateway, startProvider } from "./gateway-world.ts";
import { procStat, TICKS_PER_SECOND } from "./proc.ts";
import { type Summary, summarize } from "./stats.ts";

const CALLS = 500;
const WARMUP = 50;
/** 40 output tokens: a short answer, so the figures are the gateway's, not the stream's length. */
const PROMPT = "OUT:40 bench";
const WIRES = {
  messages: { direct: "/v1/messages", gateway: "/gateway/anthropic/v1/messages", model: "claude-sonnet-4-5" },
  chat: { direct: "/v1/chat/completions", gateway: "/gateway/openai/v1/chat/completions", model: "gpt-5.5" },
  responses: { direct: "/v1/responses", gateway: "/gateway/openai/v1/responses", model: "gpt-5.5" },
};
type WireName = keyof typeof WIRES;
const CASES: { wire: WireName; stream: boolean; workers: number }[] = [
  ...[1, 8, 32].flatMap((workers) => [
    { wire: "messages" as const, stream: false, workers },
    { wire: "messages" as const, stream: true, workers },
  ]),
  { wire: "chat", stream: true, workers: 8 },
  { wire: "responses", stream: true, workers: 8 },
];

function body(wire: WireName, stream: boolean): string {
  const model = WIRES[wire].model;
  if (wire === "messages")
    return JSON.stringify({ model, max_tokens: 100, stream, messages: [{ role: "user", content: PROMPT }] });
  if (wire === "chat")
    return JSON.stringify({
      model,
      max_completion_tokens: 100,
      stream,
      messages: [{ role: "user", content: PROMPT }],
    });
  return JSON.stringify({ model, max_output_tokens: 100, stream, input: PROMPT });
}

/** The headers an SDK sends: Anthropic's key header, or OpenAI's bearer token. */
const auth = (wire: WireName, key: string): Record<string, string> => ({
  "content-type": "application/json",
  ...(wire === "messages" ? { "x-api-key": key } : { authorization: `Bearer ${key}` }),
});

interface Run {
  total: Summary;
  firstByte: Summary;
  failed: number;
}

/** `workers` closed loops of one call each (its body read to the end) until `calls` were measured. */
async function load(
  url: string,
  headers: Record<string, string>,
  payload: string,
  workers: number,
): Promise<Run> {
  const total: number[] = [];
  const first: number[] = [];
  let [sent, failed] = [0, 0];
  const one = async (measure: boolean) => {
    const t0 = performance.now();
    let firstAt = Number.NaN;
    try {
      const res = await fetch(url, { method: "POST", headers, body: payload });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        if (Number.isNaN(firstAt)) firstAt = performance.now();
      }
      if (!res.ok) failed++;
    } catch {
      failed++;
    }
    if (!measure) return;
    total.push(performance.now() - t0);
    first.push((Number.isNaN(firstAt) ? performance.now() : firstAt) - t0);
  };
  const loop = async (measure: boolean, count: number) => {
    while (sent < count) {
      sent++;
      await one(measure);
    }
  };
  await Promise.all(Array.from({ length: workers }, () => loop(false, WARMUP)));
  [sent, failed] = [0, 0];
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, () => loop(true, CALLS)));
  const elapsed = performance.now() - started;
  return {
    total: summarize("total", total, elapsed),
    firstByte: summarize("first byte", first, elapsed),
    failed,
  };
}

export async function benchGateway(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "dash-bench-gateway-"));
  const provider = await startProvider();
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    gateway = await startGateway(home, provider.url);
    const ms = (v: number) => `${v.toFixed(2)} ms`;
    const triple = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}`;
    const added = (g: Summary, d: Summary) =>
      `+${ms(g.p50 - d.p50)} / +${ms(g.p95 - d.p95)} / +${ms(g.p99 - d.p99)}`;
    const rows: Record<string, string | number>[] = [];
    for (const { wire, stream, workers } of CASES) {
      const payload = body(wire, stream);
      const direct = await load(
        `${provider.url}${WIRES[wire].direct}`,
        auth(wire, OPERATOR),
        payload,
        workers,
      );
      // The server's own CPU time per call: what the gateway costs, whatever the queueing.
      const ticks = () => (gateway ? (procStat(gateway.pid)?.ticks ?? Number.NaN) : Number.NaN);
      const before = ticks();
      const through = await load(
        `${gateway.url}${WIRES[wire].gateway}`,
        auth(wire, gateway.token),
        payload,
        workers,
      );
      rows.push({
        call: `${wire} ${stream ? "stream" : "whole"}`,
        concurrency: workers,
        "direct p50 / p95 / p99": triple(direct.total),
        "gateway p50 / p95 / p99": triple(through.total),
        "added p50 / p95 / p99": added(through.total, direct.total),
        "first byte added p50 / p99": stream
          ? `+${ms(through.firstByte.p50 - direct.firstByte.p50)} / +${ms(through.firstByte.p99 - direct.firstByte.p99)}`
          : "—",
        "server CPU/call": ms((((ticks() - before) / TICKS_PER_SECOND) * 1000) / (CALLS + WARMUP)),
        "calls/s direct → gateway": `${Math.round(direct.total.perSecond)} → ${Math.round(through.total.perSecond)}`,
        "non-2xx": direct.failed + through.failed,
      });
    }
    console.log(
      `\ngateway: ${CALLS} calls per row (after ${WARMUP} warm-up), fake provider directly vs through dash serve's /gateway/ with an agent's token (admitted, forwarded, settled); latency = request sent → body read`,
    );
    console.table(rows);
    console.log(`gateway calls recorded: ${callsByStatus(home)}`);
  } finally {
    await gateway?.stop();
    provider.proc.kill();
    await provider.proc.exited;
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchGateway();
