// Per-event acceptance for the standard push APIs (Loki, Elasticsearch bulk, Splunk HEC): each
// protocol turns its request into candidates, one per event, numbered as the protocol numbers
// them; each becomes a record through validateEvent() (decode.ts: the same checks as
// /api/v1/events/ingest) or a rejection with its code.
//
//   candidates {index, raw | error} ─► validateEvent(raw) ─► records[] + rejected[{index, code, message}]
//
// Pure. Only an event's own faults (decode.ts EVENT_FAULTS) are caught; anything else throws.
import { DwError } from '../../src/core/errors.js';
import type { EventRecord } from '../types.js';
import { EVENT_FAULTS, validateEvent, type DecodeLimits, type Rejection } from './decode.js';

/** What a protocol's decoder gives back: the valid records and each refused event (by its index in the request). */
export interface PushDecoded {
  records: EventRecord[];
  rejected: Rejection[];
  /** The first refusal as thrown (the whole answer under ?atomic=true). */
  firstError: DwError | undefined;
}

/** One event of a request: the object validateEvent() reads, or the protocol's own refusal. */
export interface Candidate {
  /** The event's index in the request, as the protocol numbers them (a Loki entry, an ES item, a HEC event). */
  readonly index: number;
  readonly raw?: Record<string, unknown>;
  readonly error?: DwError;
}

/** Refuses a request holding more events than the tenant's batch limit (before any mapping work). */
export function checkEventCount(n: number, limits: DecodeLimits): void {
  if (n > limits.maxBatchEvents) {
    throw new DwError('DW_ERR_TOO_MANY_EVENTS', `${n} events, at most ${limits.maxBatchEvents}`, { count: n, max: limits.maxBatchEvents });
  }
}

/** Each candidate ─► a record or a rejection (its message names the event by the protocol's index). */
export function acceptEach(candidates: readonly Candidate[], limits: DecodeLimits, receivedAt: number): PushDecoded {
  const out: PushDecoded = { records: [], rejected: [], firstError: undefined };
  for (const c of candidates) {
    let err = c.error;
    if (err === undefined) {
      try {
        out.records.push(validateEvent(c.raw, c.index, limits, receivedAt));
        continue;
      } catch (e) {
        if (!(e instanceof DwError) || !EVENT_FAULTS.has(e.code)) throw e;
        err = e;
      }
    }
    out.firstError ??= err;
    out.rejected.push({ index: c.index, code: err.code, message: err.message });
  }
  return out;
}

/** Sets a key as an own property, also `__proto__` (which plain assignment would take as the prototype). */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}
