/**
 * An Anthropic Messages provider on 127.0.0.1 for the gateway crash test: the first streamed call
 * whose prompt holds `marker` sends its `message_start` and then nothing more (a call cut
 * mid-stream by the crash); every other call gets the fake provider's usual answer
 * (tests/fake-provider.ts), so the real Claude Code CLI can finish its task on a retry.
 */
import { decide } from "../fake-provider.ts";
import { anthropicAnswer } from "../fake-provider-wire.ts";

/** The provider key only `dash serve` has; the test fails if the agent's output shows it. */
export const OPERATOR_KEY = "sk-operator-e2e-never-for-agents";

export interface SeenRequest {
  path: string;
  at: number;
  /** The key the request carried (the operator's, when it came through the gateway). */
  key: string | null;
  hung: boolean;
  body: string;
}

export function startHangOnceProvider(marker: string) {
  const requests: SeenRequest[] = [];
  const busy = new Map<string, number>();
  let hung = false;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method !== "POST" || !path.endsWith("/v1/messages")) {
        return new Response("not found", { status: 404 });
      }
      const body = await request.text();
      const hang = !hung && body.includes(marker);
      hung ||= hang;
      const key = request.headers.get("x-api-key") ?? request.headers.get("authorization");
      requests.push({ path, at: Date.now(), key, hung: hang, body });
      const parsed = JSON.parse(body) as Record<string, unknown>;
      if (!hang) return anthropicAnswer(decide(body, body.includes('"tool_result"'), busy), parsed);
      const start = {
        type: "message_start",
        message: {
          id: "msg_hung",
          type: "message",
          role: "assistant",
          model: String(parsed.model),
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 120, output_tokens: 1 },
        },
      };
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          // Never closed: only the crash of the server in between ends this call.
          controller.enqueue(
            new TextEncoder().encode(`event: message_start\ndata: ${JSON.stringify(start)}\n\n`),
          );
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}
