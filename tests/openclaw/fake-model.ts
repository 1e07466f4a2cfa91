/**
 * A text-only OpenAI-compatible model on 127.0.0.1 for the real OpenClaw gateway: it streams a few
 * content chunks, a finish chunk, a usage chunk (`stream_options.include_usage`) and [DONE]. A
 * prompt with SLOW streams ten chunks a second apart, so a run can be killed, paused or crashed
 * mid-way. The gateway's own synthetic context message is not the prompt.
 */
export interface FakeModel {
  url: string;
  /** Every prompt it was asked, in order (the user's text). */
  prompts: string[];
  stop(): void;
}

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content
          .map((p) => (typeof p === "string" ? p : String((p as { text?: unknown })?.text ?? "")))
          .join("")
      : "";

export function startFakeModel(): FakeModel {
  const prompts: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname.endsWith("/models"))
        return Response.json({ object: "list", data: [{ id: "fake-model" }] });
      if (request.method !== "POST" || !url.pathname.endsWith("/chat/completions")) {
        return Response.json({ error: { message: "not found" } }, { status: 404 });
      }
      const body = (await request.json()) as {
        messages?: Array<{ role: string; content: unknown }>;
        model?: string;
      };
      const messages = body.messages ?? [];
      const user = [...messages]
        .reverse()
        .find((m) => m.role === "user" && !textOf(m.content).includes("OPENCLAW_INTERNAL_CONTEXT"));
      const prompt = textOf(user?.content);
      prompts.push(prompt);
      const slow = prompt.includes("SLOW");
      const pieces = slow
        ? Array.from({ length: 10 }, (_, i) => `slow-${i + 1} `)
        : ["Hello ", "from ", "the fake."];
      const promptTokens = 100 + Math.ceil(JSON.stringify(messages).length / 400);
      const usage = {
        prompt_tokens: promptTokens,
        completion_tokens: pieces.length * 3,
        total_tokens: promptTokens + pieces.length * 3,
      };
      const base = {
        id: `chatcmpl-${crypto.randomUUID()}`,
        object: "chat.completion.chunk",
        created: 0,
        model: body.model ?? "fake-model",
      };
      const encoder = new TextEncoder();
      const sse = (value: unknown) =>
        encoder.encode(`data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`);
      const chunk = (delta: unknown, finish: string | null) =>
        sse({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
      let cancelled = false;
      const stream = new ReadableStream({
        async start(controller) {
          controller.enqueue(chunk({ role: "assistant", content: "" }, null));
          for (const piece of pieces) {
            await Bun.sleep(slow ? 1000 : 10);
            if (cancelled) return;
            controller.enqueue(chunk({ content: piece }, null));
          }
          controller.enqueue(chunk({}, "stop"));
          controller.enqueue(sse({ ...base, choices: [], usage }));
          controller.enqueue(sse("[DONE]"));
          controller.close();
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, prompts, stop: () => server.stop(true) };
}
