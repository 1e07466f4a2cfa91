/**
 * A stand-in OpenClaw gateway on 127.0.0.1 for fast tests: WebSocket protocol 4 with the frames a
 * real openclaw 2026.9.6 sent in a probe on this machine (challenge, hello-ok, `agent` answered
 * twice under one id, agent.wait, sessions.abort/send/describe, chat.history with per-message usage
 * and `__openclaw.runId`, INVALID_REQUEST refusals). tests/integration/openclaw-gateway.test.ts
 * runs the real gateway; this one makes error paths and timing deterministic.
 * A run takes `runMs` (200 ms), or 3 s when its message contains SLOW; it costs 100 + length
 * input tokens at $1/M and 20 output tokens at $2/M, as the real gateway prices a provider.
 */
import type { ServerWebSocket } from "bun";

interface Run {
  runId: string;
  sessionKey: string;
  message: string;
  status: "running" | "ok" | "error";
  stopReason?: string;
  input: number;
  output: number;
  done: PromiseWithResolvers<void>;
  timer: ReturnType<typeof setTimeout>;
}

type Params = Record<string, unknown>;
const full = (key: string) => (key.startsWith("agent:") ? key : `agent:main:${key}`);
export const costOf = (input: number, output: number) => input * 1e-6 + output * 2e-6;

export function fakeOpenClaw(options: {
  token: string;
  runMs?: number;
  /** What hello-ok says (4 unless a test wants a mismatch). */
  protocol?: number;
  /** The first this many connects are answered "gateway starting; retry shortly". */
  startingFor?: number;
}) {
  let starting = options.startingFor ?? 0;
  const runs = new Map<string, Run>();
  /** Session key → its parent's, as sessions.create set it. */
  const parents = new Map<string, string>();
  const started: string[] = [];
  const methods: string[] = [];
  const sockets = new Set<ServerWebSocket<unknown>>();
  const broadcast = (event: string, payload: Params) => {
    for (const ws of sockets) ws.send(JSON.stringify({ type: "event", event, payload }));
  };
  const start = (runId: string, sessionKey: string, message: string) => {
    const ms = message.includes("SLOW") ? 3000 : (options.runMs ?? 200);
    const run: Run = {
      runId,
      sessionKey: full(sessionKey),
      message,
      status: "running",
      input: 100 + message.length,
      output: 20,
      done: Promise.withResolvers<void>(),
      timer: setTimeout(() => end(run, "ok", "stop"), ms),
    };
    runs.set(runId, run);
    started.push(runId);
    broadcast("agent", { runId, sessionKey: run.sessionKey, stream: "lifecycle", data: { phase: "start" } });
    return run;
  };
  const end = (run: Run, status: "ok" | "error", stopReason: string) => {
    if (run.status !== "running") return;
    clearTimeout(run.timer);
    Object.assign(run, { status, stopReason });
    const data = { phase: "end", aborted: stopReason === "rpc", stopReason };
    broadcast("agent", { runId: run.runId, sessionKey: run.sessionKey, stream: "lifecycle", data });
    run.done.resolve();
  };
  const reply = (run: Run) => `done: ${run.message.slice(0, 40)}`;
  const handlers: Record<string, (p: Params, answer: (payload: Params) => void) => Promise<Params> | Params> =
    {
      agent: (p, answer) => {
        const key = String(p.idempotencyKey);
        const run = runs.get(key) ?? start(key, String(p.sessionKey ?? key), String(p.message));
        // The real gateway answers `agent` twice under one id: accepted, then the run's result.
        void run.done.promise.then(() => answer({ runId: key, status: run.status, summary: "completed" }));
        return { runId: key, sessionKey: run.sessionKey, agentId: "main", status: "accepted" };
      },
      "agent.wait": async (p) => {
        const run = runs.get(String(p.runId));
        if (!run) return { runId: p.runId, status: "timeout" };
        const waited = await Promise.race([
          run.done.promise.then(() => true),
          Bun.sleep(Number(p.timeoutMs ?? 30_000)),
        ]);
        if (!waited) return { runId: run.runId, status: "timeout" };
        const tail = run.status === "ok" ? { terminalReply: { text: reply(run) } } : {};
        return { runId: run.runId, status: run.status, stopReason: run.stopReason, ...tail };
      },
      "sessions.abort": (p) => {
        const run = [...runs.values()].find(
          (r) => r.sessionKey === full(String(p.key)) && r.status === "running",
        );
        if (!run) return { ok: true, abortedRunId: null, status: "no-active-run" };
        end(run, "error", "rpc");
        return { ok: true, abortedRunId: run.runId, status: "aborted" };
      },
      "sessions.create": (p) => {
        const parent = p.parentSessionKey ? full(String(p.parentSessionKey)) : null;
        if (parent && ![...runs.values()].some((r) => r.sessionKey === parent)) {
          throw new Error(`unknown parent session: ${p.parentSessionKey}`);
        }
        if (parent) parents.set(full(String(p.key)), parent);
        return { ok: true, key: full(String(p.key)) };
      },
      "sessions.send": (p) => {
        const runId = String(p.idempotencyKey ?? crypto.randomUUID());
        if (!runs.has(runId)) start(runId, String(p.key), String(p.message));
        return { runId, status: "started" };
      },
      "sessions.describe": (p) => {
        const mine = [...runs.values()].filter((r) => r.sessionKey === full(String(p.key)));
        const last = mine.at(-1);
        return {
          session: {
            key: full(String(p.key)),
            lastRunId: last?.runId,
            status: last?.status === "running" ? "running" : "done",
          },
        };
      },
      "chat.history": (p) => {
        const mine = [...runs.values()].filter((r) => r.sessionKey === full(String(p.sessionKey)));
        const messages = mine.flatMap((r) => [
          { role: "user", content: r.message, idempotencyKey: `${r.runId}:user` },
          ...(r.status === "ok"
            ? [
                {
                  role: "assistant",
                  content: [{ type: "text", text: reply(r) }],
                  usage: {
                    input: r.input,
                    output: r.output,
                    totalTokens: r.input + r.output,
                    cost: { total: costOf(r.input, r.output) },
                  },
                  __openclaw: { runId: r.runId },
                },
              ]
            : []),
        ]);
        return { sessionKey: p.sessionKey, messages, hasMore: false };
      },
    };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request, srv) {
      return srv.upgrade(request) ? undefined : new Response("OpenClaw gateway (fake)", { status: 426 });
    },
    websocket: {
      open(ws) {
        ws.send(
          JSON.stringify({
            type: "event",
            event: "connect.challenge",
            payload: { nonce: "n", ts: Date.now() },
          }),
        );
      },
      async message(ws, data) {
        const frame = JSON.parse(String(data)) as { id: string; method: string; params: Params };
        const answer = (payload: Params) => {
          ws.send(JSON.stringify({ type: "res", id: frame.id, ok: true, payload }));
        };
        const refuse = (message: string, details?: Params) =>
          void ws.send(
            JSON.stringify({
              type: "res",
              id: frame.id,
              ok: false,
              error: { code: "INVALID_REQUEST", message, details },
            }),
          );
        methods.push(frame.method);
        if (frame.method === "connect" && starting > 0) {
          starting--;
          ws.send(
            JSON.stringify({
              type: "res",
              id: frame.id,
              ok: false,
              error: { code: "UNAVAILABLE", message: "gateway starting; retry shortly", retryable: true },
            }),
          );
          return;
        }
        if (frame.method === "connect") {
          if ((frame.params.auth as { token?: string })?.token !== options.token) {
            return refuse("unauthorized: gateway token mismatch (provide gateway auth token)", {
              code: "AUTH_TOKEN_MISMATCH",
            });
          }
          sockets.add(ws);
          return answer({
            type: "hello-ok",
            protocol: options.protocol ?? 4,
            server: { version: "fake" },
            policy: { tickIntervalMs: 30_000 },
          });
        }
        if (!sockets.has(ws)) return refuse("connect first");
        const handler = handlers[frame.method];
        if (!handler) return refuse(`unknown method: ${frame.method}`);
        try {
          answer(await handler(frame.params, answer));
        } catch (error) {
          refuse((error as Error).message);
        }
      },
      close(ws) {
        sockets.delete(ws);
      },
    },
  });
  return {
    url: `ws://127.0.0.1:${server.port}`,
    port: server.port,
    runs,
    parents,
    /** Every runId started, in order (a run started twice would show twice). */
    started,
    methods,
    /** The gateway dies: every connection drops and nothing answers any more. */
    stop: () => server.stop(true),
  };
}
