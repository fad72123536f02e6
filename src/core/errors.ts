// Every error driftwatch answers with, in one place: a stable code, an HTTP status and a
// message. Callers match on `err.code`, never on instanceof. docs/errors.md lists the same
// codes (test/internals/errors.unit.test.ts keeps the two in step).
import { isDatabaseDown } from './db.js';

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export const errorCodes = Object.freeze({
  DW_ERR_VALIDATION: { status: 400, message: 'The request is not valid' },
  DW_ERR_MALFORMED_BODY: { status: 400, message: 'The body could not be decoded' },
  DW_ERR_INVALID_UTF8: { status: 400, message: 'The body is not valid UTF-8' },
  DW_ERR_WEAK_PASSWORD: { status: 400, message: 'The password is too easy to guess' },
  DW_ERR_INVALID_EVENT: { status: 400, message: 'An event is not valid' },
  DW_ERR_UNSUPPORTED_ACTION: { status: 400, message: 'The bulk action is not supported: events are stored, never changed or deleted' },
  DW_ERR_INVALID_TIMESTAMP: { status: 400, message: 'An event\'s timestamp cannot be read exactly' },
  DW_ERR_UNAUTHORIZED: { status: 401, message: 'Missing or invalid credentials' },
  DW_ERR_TOKEN_EXPIRED: { status: 401, message: 'The token has expired' },
  DW_ERR_TOKEN_LIFETIME: { status: 401, message: 'The token claims a longer lifetime than this server accepts' },
  DW_ERR_INVALID_CREDENTIALS: { status: 401, message: 'Wrong email or password' },
  DW_ERR_REFRESH_TOKEN_INVALID: { status: 401, message: 'The refresh token is invalid, expired or already used' },
  DW_ERR_FORBIDDEN: { status: 403, message: 'The credentials do not allow this' },
  DW_ERR_SIGNUP_CLOSED: { status: 403, message: 'Sign-up is closed on this server; ask its operator for an account' },
  DW_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  DW_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  DW_ERR_CONFLICT: { status: 409, message: 'The request conflicts with the current state' },
  DW_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'The body or frame is too large' },
  DW_ERR_TOO_MANY_EVENTS: { status: 413, message: 'Too many events in one batch' },
  DW_ERR_PAYLOAD_TOO_COMPLEX: { status: 413, message: 'The body or frame holds too many values to decode' },
  DW_ERR_BODY_TOO_SLOW: { status: 408, message: 'The body arrived slower than the minimum rate' },
  DW_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'The request line or headers are too large' },
  DW_ERR_READ_TOO_LARGE: { status: 422, message: 'The listing cannot be answered within the read bound' },
  DW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  DW_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  DW_ERR_TOO_MANY_CONNECTIONS: { status: 429, message: 'Too many WebSocket connections for this tenant' },
  DW_ERR_QUOTA_EXCEEDED: { status: 429, message: 'The plan quota is used up' },
  DW_ERR_LIVE_LIMIT: { status: 429, message: 'Too many live-feed connections for this tenant' },
  DW_ERR_ROUTE_NOT_FOUND: { status: 404, message: 'No route for this subdomain' },
  DW_ERR_INTERNAL: { status: 500, message: 'Internal error' },
  DW_ERR_DETECTOR: { status: 500, message: 'The detector refused the task' },
  DW_ERR_VM_PROVIDER: { status: 502, message: 'The machine provider failed' },
  DW_ERR_UPSTREAM_UNREACHABLE: { status: 502, message: "The tenant's engine is not reachable" },
  DW_ERR_ROUTING_DISABLED: { status: 503, message: 'Routing lookups are disabled: ROUTING_SERVICE_TOKEN is not set' },
  DW_ERR_UNAVAILABLE: { status: 503, message: 'Temporarily unavailable; retry later' },
  DW_ERR_SPOOL_FULL: { status: 503, message: 'Storage is slow or down and the ingest spool is full; retry later' },
  DW_ERR_DATABASE_UNAVAILABLE: { status: 503, message: 'The database is not reachable' },
  DW_ERR_SHUTTING_DOWN: { status: 503, message: 'The server is shutting down' },
  DW_ERR_BILLING_DISABLED: { status: 501, message: 'Billing is not configured on this server' },
  DW_ERR_ALERTS_EMAIL_DISABLED: { status: 501, message: 'Email alerts are not configured on this server (SMTP_URL)' },
  DW_ERR_ALERT_TARGET: { status: 400, message: 'The alert channel\'s address is not allowed' },
  DW_ERR_BILLING_UPSTREAM: { status: 502, message: 'The payment provider did not answer as expected; retry later' },
  DW_ERR_SIGNING_KEY_REQUIRED: { status: 500, message: 'No signing-key encryption key is configured; the server does not start' },
  DW_ERR_WEBHOOK_SIGNATURE: { status: 400, message: 'The webhook signature is missing or does not match' },
} satisfies Record<string, ErrorSpec>);

export type ErrorCode = keyof typeof errorCodes;

/** An error with a stable code and HTTP status; `message` may add detail to the template. */
export class DwError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, detail?: string, details?: Record<string, unknown>) {
    const spec = errorCodes[code];
    super(detail ? `${spec.message}: ${detail}` : spec.message);
    this.name = 'DwError';
    this.code = code;
    this.statusCode = spec.status;
    this.details = details;
  }
}

/** True for an error that carries one of our codes (works across structured clone too). */
export function isDwError(err: unknown): err is DwError {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' &&
    Object.hasOwn(errorCodes, (err as { code: string }).code);
}

/** The JSON body every error response carries: `{ error: { code, message, details? } }`. */
export function errorBody(err: DwError): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

/**
 * The one mapping of a thrown value to our codes: a DwError as it is, a DwError-shaped value
 * (structured clone, another copy of this module) rebuilt, PostgreSQL unreachable
 * (src/core/db.ts decides) as `databaseDown` (the control API: DW_ERR_DATABASE_UNAVAILABLE; the
 * engine: DW_ERR_UNAVAILABLE, which its clients retry), anything else undefined: a bug, which
 * the caller logs and answers as DW_ERR_INTERNAL.
 */
export function toDwError(err: unknown, databaseDown: DwError = new DwError('DW_ERR_DATABASE_UNAVAILABLE')): DwError | undefined {
  if (err instanceof DwError) return err;
  if (isDwError(err)) return new DwError(err.code, undefined, (err as { details?: Record<string, unknown> }).details);
  if (isDatabaseDown(err)) return databaseDown;
  return undefined;
}
