import { DashError } from "../domain/errors.ts";
import type { Logger } from "../log.ts";

/**
 * The API's one error handler: a DashError becomes its PRD §5.5 envelope and status; anything
 * else is logged with its stack and answered 500 INTERNAL_ERROR without details.
 */
export function errorResponse(error: unknown, log: Logger, requestId: string): Response {
  const dash =
    error instanceof DashError
      ? error
      : new DashError("INTERNAL_ERROR", "Internal server error", { requestId });
  if (!(error instanceof DashError)) {
    log.error("unhandled error", {
      requestId,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  const response = dash.getResponse();
  response.headers.set("X-Request-Id", requestId);
  return response;
}

export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Reads a JSON body: over 10 MB is 413, unparseable is 400; the caller validates the shape. */
export async function readJson(request: Request): Promise<unknown> {
  const length = request.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  // A declared length within the limit is read whole (Bun stops at it); only a chunked body is
  // read as a stream, which costs more per request, so that it can be cut at the limit.
  const text = length !== null ? await request.text() : await readText(request);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DashError("VALIDATION_ERROR", `Malformed JSON body: ${(error as Error).message}`);
  }
}

/** The body as text, reading no further than the limit (a chunked body has no Content-Length). */
async function readText(request: Request): Promise<string> {
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(): DashError {
  return new DashError("PAYLOAD_TOO_LARGE", `Request body is over ${MAX_BODY_BYTES / 1024 / 1024} MB`);
}
