import { DashError } from "../domain/errors.ts";

const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE";
const ALLOWED_HEADERS = "Content-Type, Authorization, X-Request-Id";
const EXPOSED_HEADERS =
  "X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, Retry-After";

/**
 * CORS from an allowlist (PRD §7.2): an allowed Origin is echoed back with credentials; a `*`
 * entry allows any origin but then never with credentials, as browsers require.
 */
export class Cors {
  private readonly origins: Set<string>;
  private readonly any: boolean;

  constructor(origins: readonly string[]) {
    this.any = origins.includes("*");
    this.origins = new Set(origins.filter((o) => o !== "*"));
  }

  /** The headers to add to a response for this request's Origin (none when not allowed). */
  headersFor(request: Request): Record<string, string> {
    const origin = request.headers.get("origin");
    if (!origin) return {};
    if (this.origins.has(origin)) {
      return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        Vary: "Origin",
      };
    }
    if (this.any)
      return { "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED_HEADERS };
    return {};
  }

  /** Answers an OPTIONS preflight: 204 with the allowed methods and headers, 403 for other origins. */
  preflight(request: Request): Response {
    const headers = this.headersFor(request);
    if (!headers["Access-Control-Allow-Origin"]) {
      const origin = request.headers.get("origin") ?? "(none)";
      const response = new DashError(
        "FORBIDDEN",
        `Origin ${origin} is not allowed (see cors.origins)`,
      ).getResponse();
      return response;
    }
    return new Response(null, {
      status: 204,
      headers: {
        ...headers,
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "86400",
      },
    });
  }
}
