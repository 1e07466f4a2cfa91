import { DashError } from "../domain/errors.ts";

/** How many requests a bucket allows per minute; the bucket holds at most that many tokens. */
export interface RateLimit {
  perMinute: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface Decision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one more request is allowed (0 when allowed). */
  retryAfterSeconds: number;
}

const MAX_BUCKETS = 10_000;

/**
 * Token buckets by name (a key id, or an IP before authentication): each refills continuously at
 * `perMinute / 60` tokens per second up to `perMinute`, so a burst of `perMinute` is allowed and
 * then one request every `60 / perMinute` seconds.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks at the bucket without taking a token. */
  peek(name: string): Decision {
    return this.decide(this.refill(name), false);
  }

  take(name: string): Decision {
    return this.decide(this.refill(name), true);
  }

  private refill(name: string): Bucket {
    const now = this.now();
    const capacity = this.limit.perMinute;
    const bucket = this.buckets.get(name) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) * capacity) / 60_000);
    bucket.updatedAt = now;
    if (!this.buckets.has(name)) {
      if (this.buckets.size >= MAX_BUCKETS) this.forgetFull();
      this.buckets.set(name, bucket);
    }
    return bucket;
  }

  private decide(bucket: Bucket, take: boolean): Decision {
    const capacity = this.limit.perMinute;
    // Whole seconds until `tokens` more have refilled, via whole ms so float dust cannot add a second.
    const secondsFor = (tokens: number) => Math.ceil(Math.round((tokens * 60_000) / capacity) / 1000);
    const allowed = bucket.tokens >= 1;
    if (allowed && take) bucket.tokens -= 1;
    return {
      allowed,
      limit: capacity,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: secondsFor(capacity - bucket.tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, secondsFor(1 - bucket.tokens)),
    };
  }

  /** Buckets that have refilled are the same as no bucket: drop them to bound memory. */
  private forgetFull(): void {
    for (const [name, bucket] of this.buckets) {
      const tokens = bucket.tokens + ((this.now() - bucket.updatedAt) * this.limit.perMinute) / 60_000;
      if (tokens >= this.limit.perMinute) this.buckets.delete(name);
    }
    // Still full of partly used buckets (many callers at once): drop the oldest so memory stays
    // bounded; a dropped caller starts again with a full bucket, which errs on the side of serving.
    for (const name of this.buckets.keys()) {
      if (this.buckets.size < MAX_BUCKETS * 0.9) break;
      this.buckets.delete(name);
    }
  }
}

/** The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), plus Retry-After on 429. */
export function rateLimitHeaders(decision: Decision): Record<string, string> {
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
    "RateLimit-Policy": `${decision.limit};w=60`,
  };
  if (!decision.allowed) headers["Retry-After"] = String(decision.retryAfterSeconds);
  return headers;
}

/** 429 RATE_LIMITED; carries the decision so the response gets its Retry-After and RateLimit-*. */
export class RateLimitedError extends DashError {
  override readonly name = "RateLimitedError";

  constructor(
    readonly decision: Decision,
    what: string,
  ) {
    super(
      "RATE_LIMITED",
      `Too many ${what}: the limit is ${decision.limit} per minute; retry in ${decision.retryAfterSeconds}s`,
      { limit: decision.limit, retryAfterSeconds: decision.retryAfterSeconds },
    );
  }
}
