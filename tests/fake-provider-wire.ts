/**
 * The bytes of the fake provider's answers, one function per wire format. Each tool call writes
 * a file in the agent's working directory, which the CLIs put in their prompts; the tool and its
 * argument names are the ones the pinned CLI versions declare (tests/agent-clis/package.json).
 */
import { type Turn, USAGE } from "./fake-provider.ts";

const sse = (events: Array<[string | null, unknown]>) =>
  new Response(
    events
      .map(
        ([name, data]) =>
          `${name ? `event: ${name}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`,
      )
      .join(""),
    { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } },
  );

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });

function failure(status: number, type: string) {
  const headers: Record<string, string> = status === 429 ? { "retry-after": "0" } : {};
  const message = `fake provider refuses with ${status}`;
  return json(status, { type: "error", error: { type, message, code: type } }, headers);
}

/** The agent's working directory as the CLI told the model (each says it its own way). */
function cwdOf(body: Record<string, unknown>): string {
  const text = JSON.stringify(body);
  return (/[Ww]orking directory: ([^\s\\"]+)/.exec(text) ?? /<cwd>([^<]+)<\/cwd>/.exec(text))?.[1] ?? ".";
}

let ids = 0;
const nextId = (prefix: string) => `${prefix}_${++ids}`;

export function anthropicAnswer(turn: Turn, body: Record<string, unknown>): Response {
  if (turn.kind === "fail") return failure(turn.status, "invalid_request_error");
  const id = nextId("msg");
  const model = String(body.model ?? "claude-sonnet-4-5");
  const start = {
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: USAGE.input, output_tokens: 1 },
    },
  };
  const block =
    turn.kind === "tool"
      ? { type: "tool_use", id: nextId("toolu"), name: "Write", input: {} }
      : { type: "text", text: "" };
  const delta =
    turn.kind === "tool"
      ? {
          type: "input_json_delta",
          partial_json: JSON.stringify({
            file_path: `${cwdOf(body)}/${turn.file}`,
            content: "written by the agent\n",
          }),
        }
      : { type: "text_delta", text: turn.text };
  return sse([
    ["message_start", start],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: block }],
    ["content_block_delta", { type: "content_block_delta", index: 0, delta }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    [
      "message_delta",
      {
        type: "message_delta",
        delta: { stop_reason: turn.kind === "tool" ? "tool_use" : "end_turn", stop_sequence: null },
        usage: { output_tokens: USAGE.output },
      },
    ],
    ["message_stop", { type: "message_stop" }],
  ]);
}

export function responsesAnswer(turn: Turn, body: Record<string, unknown>): Response {
  if (turn.kind === "fail") return failure(turn.status, "invalid_request_error");
  const responseId = nextId("resp");
  const item =
    turn.kind === "tool"
      ? {
          type: "function_call",
          id: nextId("fc"),
          call_id: nextId("call"),
          name: "exec_command",
          arguments: JSON.stringify({ cmd: `echo 'written by the agent' > ${turn.file}` }),
          status: "completed",
        }
      : {
          type: "message",
          id: nextId("msg"),
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: turn.text, annotations: [] }],
        };
  const usage = {
    input_tokens: USAGE.input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: USAGE.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: USAGE.input + USAGE.output,
  };
  const base = { id: responseId, object: "response", model: body.model, output: [] as unknown[] };
  const events: Array<[string, unknown]> = [
    ["response.created", { type: "response.created", response: { ...base, status: "in_progress" } }],
    [
      "response.output_item.added",
      { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress" } },
    ],
  ];
  if (item.type === "message") {
    events.push([
      "response.output_text.delta",
      {
        type: "response.output_text.delta",
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        delta: turn.kind === "text" ? turn.text : "",
      },
    ]);
  }
  events.push(
    ["response.output_item.done", { type: "response.output_item.done", output_index: 0, item }],
    [
      "response.completed",
      { type: "response.completed", response: { ...base, status: "completed", output: [item], usage } },
    ],
  );
  return sse(events);
}

export function chatAnswer(turn: Turn, body: Record<string, unknown>): Response {
  if (turn.kind === "fail")
    return failure(turn.status, turn.status === 429 ? "rate_limit_exceeded" : "invalid_request_error");
  const id = nextId("chatcmpl");
  const model = String(body.model ?? "m");
  const usage = {
    prompt_tokens: USAGE.input,
    completion_tokens: USAGE.output,
    total_tokens: USAGE.input + USAGE.output,
  };
  const message =
    turn.kind === "tool"
      ? {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: nextId("call"),
              type: "function",
              function: {
                name: "write",
                arguments: JSON.stringify({
                  filePath: `${cwdOf(body)}/${turn.file}`,
                  content: "written by the agent\n",
                }),
              },
            },
          ],
        }
      : { role: "assistant", content: turn.text };
  const finish = turn.kind === "tool" ? "tool_calls" : "stop";
  if (!body.stream) {
    return json(200, {
      id,
      object: "chat.completion",
      created: 1,
      model,
      choices: [{ index: 0, message, finish_reason: finish }],
      usage,
    });
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    [null, { id, object: "chat.completion.chunk", created: 1, model, choices, ...extra }] as [null, unknown];
  const delta =
    turn.kind === "tool"
      ? { role: "assistant", tool_calls: message.tool_calls?.map((call, index) => ({ index, ...call })) }
      : { role: "assistant", content: turn.text };
  return sse([
    chunk([{ index: 0, delta, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: finish }]),
    chunk([], { usage }),
    [null, "[DONE]"],
  ]);
}
