/**
 * A model provider on 127.0.0.1 for the gateway's tests and bench: Anthropic Messages, OpenAI chat
 * completions and Responses, streamed (SSE) or whole, that behaves like a real one where money is
 * concerned: its prompt count is a quarter of the request's bytes (about what a tokenizer gives),
 * and it never writes more output tokens than the request's cap. Markers in the request text:
 * - `OUT:<n>`: answer with n output tokens (default 40), fewer if the cap is lower;
 * - `DELAY:<ms>`: wait that long between streamed pieces;
 * - `HANG`: stream the first event, then nothing more (a call cut by a crash or a client);
 * - `FAIL:<status>`: answer that status with the provider's error body.
 */
export interface SeenCall {
  path: string;
  at: number;
  model: string;
  stream: boolean;
  maxTokens: number | null;
  authorization: string | null;
  inputTokens: number;
  outputTokens: number;
}

export interface MeteredProvider {
  url: string;
  calls: SeenCall[];
  stop: () => void;
}

const marker = (text: string, name: string, fallback: number) => {
  const m = new RegExp(`${name}:(\\d+)`).exec(text);
  return m ? Number(m[1]) : fallback;
};

const sse = (events: Array<[string | null, unknown]>, delayMs: number, hang: boolean) =>
  new ReadableStream<Uint8Array>({
    async start(controller) {
      const encoder = new TextEncoder();
      for (const [i, [event, data]] of events.entries()) {
        const head = event ? `event: ${event}\n` : "";
        controller.enqueue(
          encoder.encode(`${head}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`),
        );
        if (hang && i === 0) return; // never closes: the client or a crash ends it
        if (delayMs > 0) await Bun.sleep(delayMs);
      }
      controller.close();
    },
  });

/** What one answer is: its model, token counts, and how it is streamed. */
interface Answer {
  model: string;
  input: number;
  output: number;
  stream: boolean;
  delay: number;
  hang: boolean;
}

function anthropic({ model, input, output, stream, delay, hang }: Answer) {
  const text = "tok ".repeat(output);
  if (!stream) {
    const message = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text }],
    };
    return Response.json({
      ...message,
      stop_reason: "end_turn",
      usage: { input_tokens: input, output_tokens: output },
    });
  }
  const events: Array<[string, unknown]> = [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model,
          content: [],
          usage: { input_tokens: input, output_tokens: 1 },
        },
      },
    ],
    [
      "content_block_start",
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    ],
    ...Array.from({ length: output }, (): [string, unknown] => [
      "content_block_delta",
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "tok " } },
    ]),
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    [
      "message_delta",
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: output } },
    ],
    ["message_stop", { type: "message_stop" }],
  ];
  return new Response(sse(events, delay, hang), { headers: { "content-type": "text/event-stream" } });
}

function chat({ model, input, output, stream, delay, hang }: Answer) {
  const usage = { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
  if (!stream) {
    const choice = {
      index: 0,
      message: { role: "assistant", content: "tok ".repeat(output) },
      finish_reason: "stop",
    };
    return Response.json({ id: "c1", object: "chat.completion", model, choices: [choice], usage });
  }
  const chunk = (choices: unknown[], extra = {}) => ({
    id: "c1",
    object: "chat.completion.chunk",
    model,
    choices,
    ...extra,
  });
  const events: Array<[null, unknown]> = [
    [null, chunk([{ index: 0, delta: { role: "assistant", content: "" } }])],
    ...Array.from({ length: output }, (): [null, unknown] => [
      null,
      chunk([{ index: 0, delta: { content: "tok " } }]),
    ]),
    [null, chunk([{ index: 0, delta: {}, finish_reason: "stop" }])],
    [null, chunk([], { usage })],
    [null, "[DONE]"],
  ];
  return new Response(sse(events, delay, hang), { headers: { "content-type": "text/event-stream" } });
}

function responses({ model, input, output, stream, delay, hang }: Answer) {
  const usage = { input_tokens: input, output_tokens: output, total_tokens: input + output };
  const item = {
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text: "tok ".repeat(output) }],
  };
  const base = { id: "resp_1", object: "response", model };
  if (!stream) return Response.json({ ...base, status: "completed", output: [item], usage });
  const events: Array<[string, unknown]> = [
    ["response.created", { type: "response.created", response: { ...base, status: "in_progress" } }],
    ...Array.from({ length: output }, (): [string, unknown] => [
      "response.output_text.delta",
      { type: "response.output_text.delta", delta: "tok " },
    ]),
    [
      "response.completed",
      { type: "response.completed", response: { ...base, status: "completed", output: [item], usage } },
    ],
  ];
  return new Response(sse(events, delay, hang), { headers: { "content-type": "text/event-stream" } });
}

export function startMeteredProvider(): MeteredProvider {
  const calls: SeenCall[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method !== "POST") return new Response("not found", { status: 404 });
      const raw = await request.text();
      const body = JSON.parse(raw) as Record<string, unknown>;
      const cap = [body.max_tokens, body.max_completion_tokens, body.max_output_tokens].find(
        (v) => typeof v === "number",
      ) as number | undefined;
      const input = Math.ceil(Buffer.byteLength(raw) / 4);
      const output = Math.min(marker(raw, "OUT", 40), cap ?? Number.MAX_SAFE_INTEGER);
      const stream = body.stream === true;
      const model = String(body.model);
      calls.push({
        path,
        at: Date.now(),
        model,
        stream,
        maxTokens: cap ?? null,
        authorization: request.headers.get("authorization") ?? request.headers.get("x-api-key"),
        inputTokens: input,
        outputTokens: output,
      });
      const fail = marker(raw, "FAIL", 0);
      if (fail) {
        const error = path.endsWith("/messages")
          ? { type: "error", error: { type: "api_error", message: `fake failure ${fail}` } }
          : { error: { message: `fake failure ${fail}`, type: "server_error" } };
        return Response.json(error, { status: fail });
      }
      const answer = {
        model,
        input,
        output,
        stream,
        delay: marker(raw, "DELAY", 0),
        hang: raw.includes("HANG"),
      };
      if (path.endsWith("/messages")) return anthropic(answer);
      if (path.endsWith("/chat/completions")) return chat(answer);
      if (path.endsWith("/responses")) return responses(answer);
      return new Response("not found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, calls, stop: () => server.stop(true) };
}
