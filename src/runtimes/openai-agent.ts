/**
 * `dash __openai-agent <task> [input]`: one agent on an OpenAI-compatible `/chat/completions`
 * endpoint (OpenAI, Ollama, llama.cpp, vLLM, OpenRouter, LiteLLM…). It runs under the shim like any
 * process agent, so it outlives the server, pauses with SIGSTOP and its log is the model's answer.
 * Settings come from the runtime preset through DASH_OPENAI (JSON); the key is read from the
 * environment variable the preset names, never from a request. 429s, 5xx and network errors are
 * retried with exponential backoff (Retry-After honoured, at most 30 s); other errors fail at once.
 * It reports through the ordinary report protocol: usage priced by model, progress, result.
 */
import { z } from "zod";
import { costAt, PriceSchema } from "./pricing.ts";

export const OpenAISettingsSchema = z.object({
  baseUrl: z.url(),
  apiKeyEnv: z.string().min(1),
  model: z.string().min(1),
  stream: z.boolean().default(false),
  maxAttempts: z.number().int().min(1).max(20).default(5),
  retryBaseMs: z.number().int().min(0).max(60_000).default(1000),
  system: z.string().optional(),
  maxTokens: z.number().int().positive().optional(),
  price: PriceSchema.nullable().default(null),
});
export type OpenAISettings = z.infer<typeof OpenAISettingsSchema>;

interface Answer {
  text: string;
  promptTokens: number;
  completionTokens: number;
  usageKnown: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

const report = (value: Record<string, unknown>) => console.log(JSON.stringify(value));
const RETRY_CAP_MS = 30_000;

export async function runOpenAIAgent(task: string, input: string | undefined): Promise<number> {
  const parsed = OpenAISettingsSchema.safeParse(JSON.parse(process.env.DASH_OPENAI ?? "null"));
  if (!parsed.success) {
    report({ dash: "error", message: `bad openai runtime settings: ${z.prettifyError(parsed.error)}` });
    return 2;
  }
  const settings = parsed.data;
  report({ dash: "progress", current: 0, total: 1 });
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await complete(settings, task, input);
      finish(settings, answer);
      return 0;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // An answer that is not JSON will not get better; a network error or an overloaded server may.
      const retryable =
        error instanceof HttpError
          ? error.status === 429 || error.status >= 500
          : !(error instanceof SyntaxError);
      if (!retryable || attempt >= settings.maxAttempts) {
        report({ dash: "error", message: attempt > 1 ? `${message} (after ${attempt} attempts)` : message });
        return 1;
      }
      const backoff = Math.min(RETRY_CAP_MS, settings.retryBaseMs * 2 ** (attempt - 1));
      const wait = error instanceof HttpError && error.retryAfterMs !== null ? error.retryAfterMs : backoff;
      console.log(`${message}; retrying in ${wait} ms (attempt ${attempt + 1} of ${settings.maxAttempts})`);
      await Bun.sleep(Math.min(RETRY_CAP_MS, wait));
    }
  }
}

function finish(settings: OpenAISettings, answer: Answer): void {
  const { price, model } = settings;
  if (!answer.usageKnown) console.log("the endpoint sent no token usage: this run is recorded at 0 tokens");
  if (!price) console.log(`no price for model "${model}": its cost is recorded as 0 (add it under pricing:)`);
  const { promptTokens, completionTokens } = answer;
  const costUsd = price ? costAt(price, promptTokens, completionTokens) : 0;
  report({ dash: "usage", model, promptTokens, completionTokens, costUsd });
  report({ dash: "progress", current: 1, total: 1 });
  report({ dash: "result", result: answer.text });
}

async function complete(settings: OpenAISettings, task: string, input: string | undefined): Promise<Answer> {
  const key = process.env[settings.apiKeyEnv];
  const messages = [
    ...(settings.system ? [{ role: "system", content: settings.system }] : []),
    { role: "user", content: input ? `${task}\n\n${input}` : task },
  ];
  const response = await fetch(`${settings.baseUrl.replace(/\/+$/, "")}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({
      model: settings.model,
      messages,
      ...(settings.maxTokens ? { max_tokens: settings.maxTokens } : {}),
      ...(settings.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
  });
  if (!response.ok) throw await httpError(response, settings.apiKeyEnv, Boolean(key));
  return settings.stream ? readStream(response) : readJson(response);
}

async function httpError(response: Response, keyEnv: string, hasKey: boolean): Promise<HttpError> {
  const body = await response.text().catch(() => "");
  let detail = body.slice(0, 500);
  try {
    const json = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const found = typeof json.error === "string" ? json.error : (json.error?.message ?? json.message);
    if (typeof found === "string") detail = found;
  } catch {
    // Not JSON: the start of the body says enough.
  }
  const hint = response.status === 401 && !hasKey ? ` (is ${keyEnv} set on the server?)` : "";
  const seconds = Number(response.headers.get("retry-after"));
  const retryAfterMs =
    response.headers.has("retry-after") && Number.isFinite(seconds) ? seconds * 1000 : null;
  return new HttpError(
    response.status,
    `HTTP ${response.status}: ${detail || response.statusText}${hint}`,
    retryAfterMs,
  );
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

async function readJson(response: Response): Promise<Answer> {
  const json = (await response.json()) as {
    choices?: Array<{ message?: { content?: unknown } }>;
    usage?: Usage;
  };
  const text = typeof json.choices?.[0]?.message?.content === "string" ? json.choices[0].message.content : "";
  if (text) console.log(text);
  return answerOf(text, json.usage);
}

/** Server-sent chunks: content deltas are printed as lines complete; usage comes in the last chunk. */
async function readStream(response: Response): Promise<Answer> {
  let text = "";
  let printed = 0;
  let usage: Usage | undefined;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const bytes of response.body ?? []) {
    buffer += decoder.decode(bytes, { stream: true });
    const events = buffer.split("\n");
    buffer = events.pop() ?? "";
    for (const line of events) {
      const data = line.startsWith("data:") ? line.slice(5).trim() : "";
      if (!data || data === "[DONE]") continue;
      const chunk = parseChunk(data);
      if (!chunk) continue;
      const delta = chunk.choices?.[0]?.delta?.content;
      if (typeof delta === "string") text += delta;
      if (chunk.usage) usage = chunk.usage;
      const end = text.lastIndexOf("\n");
      if (end >= printed) {
        console.log(text.slice(printed, end));
        printed = end + 1;
      }
    }
  }
  if (printed < text.length) console.log(text.slice(printed));
  return answerOf(text, usage);
}

type Chunk = { choices?: Array<{ delta?: { content?: unknown } }>; usage?: Usage };

/** A chunk that is not JSON is skipped, not retried: the answer so far has been paid for. */
function parseChunk(data: string): Chunk | null {
  try {
    return JSON.parse(data) as Chunk;
  } catch {
    console.log(`skipped a stream chunk that is not JSON: ${data.slice(0, 200)}`);
    return null;
  }
}

function answerOf(text: string, usage: Usage | undefined): Answer {
  const tokens = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  return {
    text,
    promptTokens: tokens(usage?.prompt_tokens),
    completionTokens: tokens(usage?.completion_tokens),
    usageKnown: usage !== undefined,
  };
}
