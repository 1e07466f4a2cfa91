import type { Server } from "bun";
import { DashError } from "../../domain/errors.ts";
import { newId } from "../../domain/ids.ts";
import type { GatewayConfig, Provider, ProviderApi } from "../../domain/provider.ts";
import type { RuntimePreset } from "../../runtimes/presets.ts";
import { modelKey, type Price, priceOf } from "../../runtimes/pricing.ts";
import { authenticate, authenticateKey } from "../../safety/api-keys.ts";
import type { ApiDeps } from "../route.ts";
import { forwardCall } from "./forward.ts";
import { RoomWaiters } from "./room-waiters.ts";
import { pickProvider } from "./upstream.ts";
import type { Wire } from "./wire.ts";
import { anthropicMessages } from "./wire-anthropic.ts";
import { openaiChat, openaiResponses } from "./wire-openai.ts";

/**
 * The metering model gateway (issue 23): provider-compatible endpoints under /gateway/ that
 * agents call with their own token (DASH_AGENT_TOKEN, never the operator's key). Every call is
 * admitted before it is forwarded: its worst case is reserved on the agent's budget chain in one
 * transaction, or it is refused in the provider's own error shape, so the CLI reports it and stops.
 */
export interface GatewaySettings extends GatewayConfig {
  providers: Record<string, Provider>;
  prices: Record<string, Price>;
  presets: Record<string, RuntimePreset>;
  defaultRuntime: string;
}

/** A server started without settings (tests of the API alone): every call says no provider is set up. */
export const NO_GATEWAY: GatewaySettings = {
  providers: {},
  prices: {},
  presets: {},
  defaultRuntime: "command",
  defaultMaxTokens: 32_000,
  minOutputTokens: 256,
  waitMs: 30_000,
  maxBodyBytes: 64 * 1024 * 1024,
};

const WIRES: Record<string, Wire> = {
  "anthropic/v1/messages": anthropicMessages,
  "openai/v1/chat/completions": openaiChat,
  "openai/v1/responses": openaiResponses,
};

class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const STATUS: Record<string, number> = { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404 };

export function gatewayHandler(deps: ApiDeps, settings: GatewaySettings) {
  const waiters = new RoomWaiters();
  return async (request: Request, server: Pick<Server<unknown>, "timeout">): Promise<Response> => {
    const started = performance.now();
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/gateway\/?/, "");
    const api = path.split("/")[0] as ProviderApi;
    const wire = WIRES[path];
    const fallback = api === "anthropic" ? anthropicMessages : openaiChat;
    let response: Response;
    try {
      if (!wire || request.method !== "POST") {
        throw new GatewayError(
          404,
          `Dash gateway: no metered endpoint ${request.method} /${path}`,
          "not_found",
        );
      }
      server.timeout(request, 0); // a model call may stream for minutes
      response = await call(deps, settings, waiters, request, wire, path, url.search);
    } catch (error) {
      const known =
        error instanceof GatewayError
          ? error
          : error instanceof DashError
            ? new GatewayError(
                STATUS[error.code] ?? 400,
                `Dash gateway: ${error.message}`,
                error.code.toLowerCase(),
              )
            : null;
      if (!known) deps.log.warn("gateway call failed", { path, error: String(error) });
      const g = known ?? new GatewayError(500, "Dash gateway: internal error", "internal_error");
      response = Response.json((wire ?? fallback).error(g.status, g.message, g.code), { status: g.status });
    }
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.observeRequest(request.method, `/gateway/${wire ? path : "*"}`, response.status, seconds);
    return response;
  };
}

async function call(
  deps: ApiDeps,
  settings: GatewaySettings,
  waiters: RoomWaiters,
  request: Request,
  wire: Wire,
  path: string,
  search: string,
): Promise<Response> {
  const { store, lifecycle } = deps;
  // Anthropic's clients send the key bare in x-api-key; OpenAI's as Authorization: Bearer.
  const bare = request.headers.get("x-api-key");
  const key = bare
    ? await authenticateKey(store, bare, "read")
    : await authenticate(store, request.headers.get("authorization"), "read");
  const agentId = key.scope?.agentId;
  if (!agentId)
    throw new GatewayError(403, "Dash gateway: only an agent's own token may call a model here", "forbidden");
  const agent = await store.getAgent(agentId);
  const swarm = agent ? await store.getSwarm(agent.swarmId) : null;
  if (!agent || !swarm) throw new GatewayError(403, `Dash gateway: agent ${agentId} is gone`, "forbidden");
  const preset = settings.presets[swarm.config.runtime ?? settings.defaultRuntime];
  const [providerName, provider] = pickProvider(settings.providers, wire.provider, [
    swarm.config.provider,
    preset?.provider,
  ]);
  const body = await readBody(request, settings.maxBodyBytes);
  const shape = wire.shape(body);
  if (typeof shape === "string") throw new GatewayError(400, `Dash gateway: ${shape}`, "invalid_request");
  const requested = shape.maxTokens ?? settings.defaultMaxTokens;
  const asked = JSON.stringify(wire.capped(body, requested, provider.maxTokensField));
  const prices = preset?.price
    ? { ...settings.prices, [modelKey(preset.model ?? agent.model)]: preset.price }
    : settings.prices;
  const ask = {
    inputBound: Buffer.byteLength(asked),
    requestedMaxTokens: requested,
    floorTokens: settings.minOutputTokens,
    price: priceOf(shape.model, prices),
    cacheWrite: asked.includes('"cache_control"'),
  };
  const draft = {
    id: newId(Date.now()),
    agentId,
    swarmId: agent.swarmId,
    provider: providerName,
    api: wire.api,
    model: shape.model,
    stream: shape.stream,
    requestedMaxTokens: shape.maxTokens,
    startedAt: Date.now(),
  };
  const deadline = Date.now() + settings.waitMs;
  for (;;) {
    const { result, decision } = await lifecycle.admitCall(draft, ask, Date.now() >= deadline);
    if (result) {
      const { call } = result;
      if (call.status === "refused") {
        const code = decision.grant.kind === "refuse" ? "budget_exceeded" : "agent_not_running";
        throw new GatewayError(call.httpStatus ?? 400, call.error ?? "refused", code);
      }
      const maxTokens = call.maxTokens ?? requested;
      const extra: Record<string, string> = { "x-dash-call-id": call.id };
      if (maxTokens < requested) extra["x-dash-max-tokens"] = String(maxTokens);
      return forwardCall(
        { lifecycle, log: deps.log, settled: () => waiters.wake() },
        {
          call,
          wire,
          provider,
          path: path.slice(path.indexOf("/") + 1),
          search,
          body:
            maxTokens === requested
              ? asked
              : JSON.stringify(wire.capped(body, maxTokens, provider.maxTokensField)),
          headers: request.headers,
          price: ask.price,
          inputBound: ask.inputBound,
          maxTokens,
          clientSignal: request.signal,
          extra,
        },
      );
    }
    if (request.signal.aborted)
      throw new GatewayError(499, "Dash gateway: the client went away while it waited", "client_closed");
    await waiters.wait(Math.max(0, Math.min(250, deadline - Date.now())));
  }
}

async function readBody(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > maxBytes)
    throw new GatewayError(413, `Dash gateway: the request is over ${maxBytes} bytes`, "too_large");
  const text = await request.text();
  if (Buffer.byteLength(text) > maxBytes) {
    throw new GatewayError(413, `Dash gateway: the request is over ${maxBytes} bytes`, "too_large");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatewayError(400, "Dash gateway: the body is not JSON", "invalid_json");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new GatewayError(400, "Dash gateway: the body must be a JSON object", "invalid_request");
  }
  return parsed as Record<string, unknown>;
}
