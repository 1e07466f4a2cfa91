import type { Lifecycle } from "../../core/lifecycle.ts";
import type { CallEnd, ModelCallRecord } from "../../domain/model-call.ts";
import type { Provider } from "../../domain/provider.ts";
import type { Logger } from "../../log.ts";
import { callCostMicros, type Price } from "../../runtimes/pricing.ts";
import { SseReader } from "./sse.ts";
import { downstreamHeaders, upstreamHeaders, upstreamUrl } from "./upstream.ts";
import { noUsage, type UsageSeen, usageToCharge, type Wire } from "./wire.ts";

/**
 * One admitted call on its way: forwarded to the provider, its answer passed back as it arrives
 * (a stream chunk by chunk, never buffered whole), and settled exactly once, when it ends however
 * it ends: on the provider's usage when it came, on the bounds of what was delivered when the
 * stream was cut or the client went away, released when the provider refused it.
 */
export interface ForwardCall {
  call: ModelCallRecord;
  wire: Wire;
  provider: Provider;
  path: string;
  search: string;
  body: string;
  headers: Headers;
  price: Price | null;
  inputBound: number;
  maxTokens: number;
  clientSignal: AbortSignal;
  /** Headers the gateway adds to the answer (the call's id, a lowered cap). */
  extra: Record<string, string>;
}

export interface ForwardDeps {
  lifecycle: Lifecycle;
  log: Logger;
  /** Called after every settlement: calls waiting for room look again. */
  settled: () => void;
}

export async function forwardCall(deps: ForwardDeps, f: ForwardCall): Promise<Response> {
  const started = performance.now();
  const upstreamAbort = new AbortController();
  const onClientGone = () => upstreamAbort.abort();
  f.clientSignal.addEventListener("abort", onClientGone, { once: true });
  if (f.clientSignal.aborted) upstreamAbort.abort(); // gone while its call waited for room
  let firstByteMs: number | null = null;
  let done = false;
  const settle = async (seen: UsageSeen | null, httpStatus: number | null, error: string | null) => {
    if (done) return;
    done = true;
    f.clientSignal.removeEventListener("abort", onClientGone);
    const latencyMs = Math.round(performance.now() - started);
    const end = endOf(f, seen, { httpStatus, error, firstByteMs, latencyMs });
    await deps.lifecycle
      .settleCall(f.call.id, end)
      .catch(deps.log.onError("settling a gateway call failed"))
      .finally(deps.settled);
  };
  let upstream: Response;
  try {
    upstream = await fetch(upstreamUrl(f.provider, f.path, f.search), {
      method: "POST",
      headers: upstreamHeaders(f.provider, f.headers),
      body: f.body,
      signal: upstreamAbort.signal,
    });
  } catch (error) {
    await settle(null, null, `the provider could not be reached: ${(error as Error).message}`);
    return Response.json(
      f.wire.error(502, `Dash gateway: ${(error as Error).message}`, "upstream_unreachable"),
      {
        status: 502,
      },
    );
  }
  firstByteMs = Math.round(performance.now() - started);
  const headers = downstreamHeaders(upstream.headers, f.extra);
  if (!upstream.ok) {
    const text = await upstream.text().catch(() => "");
    await settle(null, upstream.status, `the provider answered ${upstream.status}`);
    return new Response(text, { status: upstream.status, headers });
  }
  const isStream = (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
  if (!isStream || !upstream.body) {
    const text = await upstream.text().catch(() => "");
    await settle(usageOfText(f.wire, text), upstream.status, null);
    return new Response(text, { status: upstream.status, headers });
  }
  return new Response(meteredStream(upstream.body, f.wire, settle, upstreamAbort, upstream.status), {
    status: upstream.status,
    headers,
  });
}

function usageOfText(wire: Wire, text: string): UsageSeen {
  try {
    return wire.usageOf(JSON.parse(text) as Record<string, unknown>);
  } catch {
    return noUsage();
  }
}

/** The stream to the client: each chunk is read for usage as it passes, then handed on. */
function meteredStream(
  body: ReadableStream<Uint8Array>,
  wire: Wire,
  settle: (seen: UsageSeen, status: number, error: string | null) => Promise<void>,
  upstreamAbort: AbortController,
  status: number,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const sse = new SseReader();
  const seen = noUsage();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          await settle(seen, status, seen.complete ? null : "the stream ended before its usage");
          controller.close();
          return;
        }
        for (const event of sse.feed(value)) wire.onEvent(seen, event);
        controller.enqueue(value);
      } catch (error) {
        await settle(seen, status, `the stream was cut: ${(error as Error).message}`);
        controller.error(error);
      }
    },
    async cancel() {
      upstreamAbort.abort();
      await settle(seen, status, "the client went away mid-stream");
    },
  });
}

function endOf(
  f: ForwardCall,
  seen: UsageSeen | null,
  facts: Pick<CallEnd, "httpStatus" | "error" | "firstByteMs" | "latencyMs">,
): CallEnd {
  if (!seen) return { ...facts, status: "released", promptTokens: 0, completionTokens: 0, costMicros: 0 };
  const usage = usageToCharge(seen, f.inputBound, f.maxTokens);
  return {
    ...facts,
    status: "settled",
    promptTokens: usage.input + usage.cacheWrite + usage.cacheRead,
    completionTokens: usage.output,
    costMicros: callCostMicros(f.price, usage),
  };
}
