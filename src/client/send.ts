import { DashError } from "../domain/errors.ts";

/**
 * How long one call may wait, in all, on 429 answers. A 429 is answered before the request is
 * handled, so sending it again after Retry-After is safe for every method (as kubectl does).
 */
export const RATE_LIMIT_PATIENCE_MS = 30_000;

/**
 * Fetches `url`, waiting out 429 answers (their Retry-After) while the waits add up to at most
 * `patienceMs`; the last answer is returned as is. No answer at all is UNREACHABLE, with how to
 * start a server.
 */
export async function fetchPatiently(
  fetcher: typeof fetch,
  url: URL,
  init: RequestInit,
  base: string,
  patienceMs: number,
): Promise<Response> {
  for (let waited = 0; ; ) {
    const response = await fetchOnce(fetcher, url, init, base);
    const waitMs = Number(response.headers.get("retry-after")) * 1000;
    if (response.status !== 429 || !(waitMs > 0) || waited + waitMs > patienceMs) return response;
    await response.body?.cancel();
    await Bun.sleep(waitMs);
    waited += waitMs;
  }
}

async function fetchOnce(
  fetcher: typeof fetch,
  url: URL,
  init: RequestInit,
  base: string,
): Promise<Response> {
  try {
    return await fetcher(url, init);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === "ConnectionRefused" || code === "ECONNREFUSED"
        ? "connection refused"
        : (error as Error).message;
    throw new DashError(
      "UNREACHABLE",
      `No Dash server answers at ${base} (${why}). Start one with \`dash serve\`, or point to yours with --url or DASH_URL.`,
      { url: base },
    );
  }
}
