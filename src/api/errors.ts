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
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw tooLarge();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DashError("VALIDATION_ERROR", `Malformed JSON body: ${(error as Error).message}`);
  }
}

function tooLarge(): DashError {
  return new DashError("PAYLOAD_TOO_LARGE", `Request body is over ${MAX_BODY_BYTES / 1024 / 1024} MB`);
}
