/**
 * The openai agent in this process (the integration test runs it under the shim): what it prints
 * for odd endpoints — streamed answers over many chunks, a chunk that is not JSON, no usage, a 401
 * without a key, an endpoint that is not there.
 */
import { afterAll, afterEach, expect, spyOn, test } from "bun:test";
import { runOpenAIAgent } from "../../src/runtimes/openai-agent.ts";
import { reportOf } from "../../src/runtimes/report-protocol.ts";
import { startFakeProvider } from "../fake-provider.ts";

const provider = startFakeProvider();
/** Streams "line one\nline two\nend" in pieces, with a broken chunk and no usage. */
const odd = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    if (new URL(request.url).pathname.includes("/unauthorized/")) {
      return new Response("no key", { status: 401 });
    }
    const chunks = ["line ", "one\nline", " two\n", "end"].map(
      (content) => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`,
    );
    return new Response(
      [chunks[0], chunks[1], "data: {not json\n\n", chunks[2], chunks[3], "data: [DONE]\n\n"].join(""),
    );
  },
});
afterAll(() => {
  provider.stop();
  odd.stop(true);
});

let printed: string[] = [];
const log = spyOn(console, "log").mockImplementation((line: unknown) => void printed.push(String(line)));
afterEach(() => {
  printed = [];
  delete process.env.DASH_OPENAI;
});
afterAll(() => log.mockRestore());

const settings = (extra: Record<string, unknown>) => {
  process.env.DASH_OPENAI = JSON.stringify({
    apiKeyEnv: "NO_SUCH_KEY_VAR",
    model: "gpt-4o",
    retryBaseMs: 1,
    ...extra,
  });
};
const reports = () => printed.map(reportOf).filter((r) => r !== null);

test("bad settings are an error report, exit 2", async () => {
  process.env.DASH_OPENAI = JSON.stringify({ baseUrl: "not a url" });
  expect(await runOpenAIAgent("task", undefined)).toBe(2);
  expect(reports()[0]).toMatchObject({ kind: "error" });
});

test("a streamed answer is logged line by line; broken chunks are skipped; no usage is said", async () => {
  settings({ baseUrl: `http://127.0.0.1:${odd.port}/v1`, stream: true, price: { input: 1, output: 1 } });
  expect(await runOpenAIAgent("task", "more input")).toBe(0);
  expect(printed).toContain("line one");
  expect(printed).toContain("line two");
  expect(printed).toContain("end");
  expect(printed.some((l) => l.startsWith("skipped a stream chunk"))).toBe(true);
  expect(printed.some((l) => l.includes("sent no token usage"))).toBe(true);
  expect(reports()).toContainEqual({ kind: "result", value: "line one\nline two\nend" });
  expect(reports()).toContainEqual({
    kind: "usage",
    usage: { model: "gpt-4o", promptTokens: 0, completionTokens: 0, costUsd: 0 },
  });
});

test("the prompt carries the task and the input; a system prompt and max_tokens when set", async () => {
  settings({ baseUrl: `${provider.url}/v1/`, system: "be brief", maxTokens: 50 });
  expect(await runOpenAIAgent("TASK: with input", "the input")).toBe(0);
  const body = provider.requests.at(-1)?.body as { messages: unknown[]; max_tokens: number };
  expect(body.messages).toEqual([
    { role: "system", content: "be brief" },
    { role: "user", content: "TASK: with input\n\nthe input" },
  ]);
  expect(body.max_tokens).toBe(50);
  expect(provider.requests.at(-1)?.authorization).toBeNull();
});

test("a 401 without a key names the variable to set", async () => {
  settings({ baseUrl: `http://127.0.0.1:${odd.port}/unauthorized` });
  expect(await runOpenAIAgent("task", undefined)).toBe(1);
  expect(reports().at(-1)).toEqual({
    kind: "error",
    message: "HTTP 401: no key (is NO_SUCH_KEY_VAR set on the server?)",
  });
});

test("an endpoint that does not answer is retried, then fails", async () => {
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = closed.port;
  closed.stop(true);
  settings({ baseUrl: `http://127.0.0.1:${port}/v1`, maxAttempts: 2 });
  expect(await runOpenAIAgent("task", undefined)).toBe(1);
  expect(printed.some((l) => l.includes("retrying in 1 ms (attempt 2 of 2)"))).toBe(true);
  expect((reports().at(-1) as { message: string }).message).toContain("after 2 attempts");
});

test("an answer that is not JSON fails at once, not retried", async () => {
  settings({ baseUrl: `http://127.0.0.1:${odd.port}/v1` });
  expect(await runOpenAIAgent("task", undefined)).toBe(1);
  const last = reports().at(-1) as { kind: string; message: string };
  expect(last.kind).toBe("error");
  expect(last.message).not.toContain("attempts");
});
