// What both sources (HTTP and WebSocket) are given by engine.ts: how to authenticate, how to
// hand a decoded batch to storage, and whether the engine is draining.
import type { Principal } from '../../src/auth/principal.js';
import { DwError, isDwError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { DecodeLimits, EventRecord } from '../transforms/decode.js';

export interface IngestResult {
  accepted: number;
  duplicate: boolean;
}

export interface SourceContext {
  readonly log: Logger;
  readonly limits: DecodeLimits;
  readonly maxBodyBytes: number;
  /** Resolves `Authorization: Bearer ...` and checks the `ingest` scope; throws a DwError. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** Stores a batch durably (resolves after COMMIT), then queues it for scoring. */
  ingest(tenantId: string, records: EventRecord[], bytes: number, batchKey: string | undefined): Promise<IngestResult>;
  /** True once close() began: new requests, upgrades and frames are refused. */
  readonly closing: boolean;
  /** Registers work that close() waits for (an HTTP request from its headers on, a frame from its receipt). */
  track<T>(p: Promise<T>): Promise<T>;
}

/** Any thrown value as a DwError (unknown errors become DW_ERR_INTERNAL and are logged). */
export function toDwError(err: unknown, log: Logger): DwError {
  if (err instanceof DwError) return err;
  if (isDwError(err)) return new DwError(err.code, undefined, err.details);
  log.error({ err }, 'EngineInternalError');
  return new DwError('DW_ERR_INTERNAL');
}

const REASONS: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export const statusLine = (status: number): string => `${status} ${REASONS[status] ?? 'Unknown'}`;
