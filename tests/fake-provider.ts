/**
 * A model provider on 127.0.0.1 that speaks the three wire formats the real agent CLIs and the
 * openai runtime use (facts in ../shared/agent-cli-formats.md): Anthropic Messages SSE (Claude
 * Code), OpenAI Responses SSE (Codex) and chat completions, streamed or not (opencode, openai).
 * What it answers depends on the prompt, so it needs no per-test state:
 * - a prompt containing `TOOL:<file>` gets a tool call that writes <file>, and after the tool
 *   result a final text;
 * - `FAIL:<status>` gets that HTTP status with the provider's error body, every time;
 * - `SLOW:<ms>` makes the first request with that marker wait <ms> before its answer;
 * - `BUSY:<n>` gets 429 (Retry-After: 0) for the first n requests with that prompt, then an answer;
 * - anything else gets the text `done: <first 40 characters of the prompt>`.
 * Token counts are fixed per answer (USAGE) so tests can check what the CLIs printed.
 */
import { anthropicAnswer, chatAnswer, responsesAnswer } from "./fake-provider-wire.ts";

export const USAGE = { input: 120, output: 30 };

export interface FakeRequest {
  path: string;
  body: Record<string, unknown>;
  status: number;
  authorization: string | null;
}

export type Turn =
  | { kind: "text"; text: string }
  | { kind: "tool"; file: string }
  | { kind: "fail"; status: number };

/** What to answer, from the request's whole text (prompt and earlier turns). */
export function decide(text: string, hasToolResult: boolean, busyCounts: Map<string, number>): Turn {
  const fail = /FAIL:(\d{3})/.exec(text);
  if (fail) return { kind: "fail", status: Number(fail[1]) };
  const busy = /BUSY:(\d+)/.exec(text);
  if (busy) {
    const seen = (busyCounts.get(busy[0]) ?? 0) + 1;
    busyCounts.set(busy[0], seen);
    if (seen <= Number(busy[1])) return { kind: "fail", status: 429 };
  }
  const tool = /TOOL:([\w.-]+)/.exec(text);
  if (tool && !hasToolResult) return { kind: "tool", file: tool[1] as string };
  const prompt = /TASK: ([^"\\]{0,40})/.exec(text)?.[1] ?? "ok";
  return { kind: "text", text: hasToolResult ? `wrote the file. ${prompt}` : `done: ${prompt}` };
}

export interface FakeProvider {
  url: string;
  requests: FakeRequest[];
  /** Every request body as it arrives, before it is answered. */
  arrived: string[];
  stop: () => void;
}

export function startFakeProvider(): FakeProvider {
  const requests: FakeRequest[] = [];
  const busyCounts = new Map<string, number>();
  const arrived: string[] = [];
  const slowSeen = new Set<string>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method !== "POST") return new Response("not found", { status: 404 });
      const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
      const text = JSON.stringify(body);
      arrived.push(text);
      const slow = /SLOW:(\d+)/.exec(text);
      if (slow && !slowSeen.has(slow[0])) {
        slowSeen.add(slow[0]);
        await Bun.sleep(Number(slow[1]));
      }
      const response = answer(path, body, text, busyCounts);
      requests.push({
        path,
        body,
        status: response.status,
        authorization: request.headers.get("authorization"),
      });
      return response;
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, arrived, stop: () => server.stop(true) };
}

function answer(
  path: string,
  body: Record<string, unknown>,
  text: string,
  busyCounts: Map<string, number>,
): Response {
  if (path.endsWith("/messages")) {
    return anthropicAnswer(decide(text, text.includes('"tool_result"'), busyCounts), body);
  }
  if (path.endsWith("/responses")) {
    return responsesAnswer(decide(text, text.includes('"function_call_output"'), busyCounts), body);
  }
  if (path.endsWith("/chat/completions")) {
    return chatAnswer(decide(text, text.includes('"role":"tool"'), busyCounts), body);
  }
  return new Response("not found", { status: 404 });
}
