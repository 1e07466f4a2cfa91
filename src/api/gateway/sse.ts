/**
 * Reads a server-sent event stream as it passes through, chunk by chunk, without holding it: each
 * complete event (`event:` and `data:` lines up to a blank line) is handed out once, the partial
 * tail is kept for the next chunk. The bytes themselves go to the client untouched.
 */
export interface SseEvent {
  event: string | null;
  data: string;
}

export class SseReader {
  private readonly decoder = new TextDecoder();
  private buffer = "";

  feed(chunk: Uint8Array): SseEvent[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.buffer);
      if (!match) break;
      const block = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const parsed = parseBlock(block);
      if (parsed) events.push(parsed);
    }
    // A stream that never sends a blank line must not grow this without bound.
    if (this.buffer.length > 16 * 1024 * 1024) this.buffer = "";
    return events;
  }
}

function parseBlock(block: string): SseEvent | null {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length === 0 && event === null ? null : { event, data: data.join("\n") };
}

/** The JSON of an event's data, or null (`[DONE]`, a comment, a broken line). */
export function eventJson(event: SseEvent): Record<string, unknown> | null {
  if (!event.data.startsWith("{")) return null;
  try {
    return JSON.parse(event.data) as Record<string, unknown>;
  } catch {
    return null;
  }
}
