/**
 * A model provider on 127.0.0.1 that never lets an agent CLI finish: every answer is one more tool
 * call (Claude Code's Write tool, Codex's exec_command function), so the CLI works turn after turn
 * until something else stops it: here, Dash's gateway refusing a call for budget. It bills like a
 * real provider: its prompt count is a quarter of the request's bytes (about what a tokenizer gives,
 * and below the gateway's bound of one token per byte) and its output never passes the request's
 * cap. It records every request it got, with its arrival time and the key it came with.
 */

export interface LoopCall {
  path: string;
  /** Date.now() when the request arrived. */
  at: number;
  model: string;
  /** The key it was sent with (x-api-key or the Authorization header). */
  key: string | null;
  maxTokens: number | null;
  inputTokens: number;
  outputTokens: number;
}

export interface LoopingProvider {
  url: string;
  calls: LoopCall[];
  stop: () => void;
}

const sse = (events: Array<[string, unknown]>) =>
  new Response(events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join(""), {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });

/** The agent's working directory as the CLI told the model (Claude's Write wants absolute paths). */
function cwdOf(raw: string): string {
  return (/[Ww]orking directory: ([^\s\\"]+)/.exec(raw) ?? /<cwd>([^<]+)<\/cwd>/.exec(raw))?.[1] ?? ".";
}

function anthropic(n: number, raw: string, model: string, stream: boolean, input: number, output: number) {
  const input_ = { file_path: `${cwdOf(raw)}/turn-${n}.txt`, content: `turn ${n}\n` };
  const tool = { type: "tool_use", id: `toolu_${n}`, name: "Write", input: input_ };
  const usage = { input_tokens: input, output_tokens: output };
  const message = { id: `msg_${n}`, type: "message", role: "assistant", model, stop_sequence: null };
  if (!stream) return Response.json({ ...message, content: [tool], stop_reason: "tool_use", usage });
  return sse([
    [
      "message_start",
      {
        type: "message_start",
        message: {
          ...message,
          content: [],
          stop_reason: null,
          usage: { input_tokens: input, output_tokens: 1 },
        },
      },
    ],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: { ...tool, input: {} } }],
    [
      "content_block_delta",
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(input_) },
      },
    ],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    [
      "message_delta",
      {
        type: "message_delta",
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: { output_tokens: output },
      },
    ],
    ["message_stop", { type: "message_stop" }],
  ]);
}

function responses(n: number, model: string, input: number, output: number) {
  const item = {
    type: "function_call",
    id: `fc_${n}`,
    call_id: `call_${n}`,
    name: "exec_command",
    arguments: JSON.stringify({ cmd: `echo 'turn ${n}' > turn-${n}.txt` }),
    status: "completed",
  };
  const usage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
  const base = { id: `resp_${n}`, object: "response", model, output: [] as unknown[] };
  return sse([
    ["response.created", { type: "response.created", response: { ...base, status: "in_progress" } }],
    [
      "response.output_item.added",
      { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress" } },
    ],
    ["response.output_item.done", { type: "response.output_item.done", output_index: 0, item }],
    [
      "response.completed",
      { type: "response.completed", response: { ...base, status: "completed", output: [item], usage } },
    ],
  ]);
}

/** `outputTokens`: what each answer bills for its output when the request's cap allows it. */
export function startLoopingProvider(outputTokens = 1500): LoopingProvider {
  const calls: LoopCall[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const at = Date.now();
      const path = new URL(request.url).pathname;
      if (request.method !== "POST") return new Response("not found", { status: 404 });
      const raw = await request.text();
      const body = JSON.parse(raw) as Record<string, unknown>;
      const cap = [body.max_tokens, body.max_output_tokens, body.max_completion_tokens].find(
        (v) => typeof v === "number",
      ) as number | undefined;
      const input = Math.ceil(Buffer.byteLength(raw) / 4);
      const output = Math.min(outputTokens, cap ?? outputTokens);
      const model = String(body.model);
      const key = request.headers.get("x-api-key") ?? request.headers.get("authorization");
      calls.push({ path, at, model, key, maxTokens: cap ?? null, inputTokens: input, outputTokens: output });
      // Turns are numbered per API, so each CLI's files read turn-1, turn-2, …
      const n = calls.filter((c) => c.path === path).length;
      if (path.endsWith("/messages")) return anthropic(n, raw, model, body.stream === true, input, output);
      if (path.endsWith("/responses")) return responses(n, model, input, output);
      return new Response("not found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, calls, stop: () => server.stop(true) };
}
