/**
 * The one error type of Dash. Every refusal, from a config file to an HTTP route, is a DashError
 * with a code from the PRD §5.5 table (plus the few codes below it); the API's single handler turns
 * it into the `{ error: { code, message, details } }` envelope with the status of its code.
 */
export const ERROR_STATUS = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION_ERROR: 400,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  BUDGET_EXCEEDED: 403,
  INTERNAL_ERROR: 500,
  // Beyond the PRD table: a state-machine refusal, and failures that never reach HTTP.
  INVALID_TRANSITION: 409,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  CONFIG_ERROR: 500,
  MIGRATION_ERROR: 500,
  // An agent asked for a file sandbox this machine cannot give (bwrap missing or refused).
  SANDBOX_UNAVAILABLE: 503,
  // Client side: no Dash server answers at the URL.
  UNREACHABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorDetails = Record<string, unknown>;

export class DashError extends Error {
  override readonly name: string = "DashError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: ErrorDetails } } {
    const error = { code: this.code, message: this.message };
    return { error: this.details ? { ...error, details: this.details } : error };
  }

  getResponse(): Response {
    return Response.json(this.toJSON(), { status: this.status });
  }
}

/** Optimistic lock lost: the row's version is not the one the writer read (HTTP 409 CONFLICT). */
export class ConcurrencyConflictError extends DashError {
  override readonly name = "ConcurrencyConflictError";

  constructor(entity: string, id: string, expectedVersion: number, actualVersion: number) {
    super(
      "CONFLICT",
      `${entity} ${id} was changed by someone else (version ${actualVersion}, expected ${expectedVersion})`,
      {
        entity,
        id,
        expectedVersion,
        actualVersion,
      },
    );
  }
}

/** The state machine refuses this move (HTTP 409 INVALID_TRANSITION). */
export class InvalidTransitionError extends DashError {
  override readonly name = "InvalidTransitionError";

  constructor(entity: string, id: string, from: string, to: string, reason?: string) {
    super(
      "INVALID_TRANSITION",
      `${entity} ${id} cannot go from ${from} to ${to}${reason ? `: ${reason}` : ""}`,
      {
        entity,
        id,
        from,
        to,
      },
    );
  }
}

export function notFound(entity: string, id: string): DashError {
  return new DashError("NOT_FOUND", `${entity} ${id} not found`, { entity, id });
}
