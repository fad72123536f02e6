// The engine's refusals, counted and logged in one call each, so a shipper's operator can read
// on the server what its client was told (issue 13: "the shipper's user sees only 400"):
//
//   a whole request, upgrade or frame refused ─► requestRefused(): driftwatch_refusals_total
//     {server="engine", error_code} + IngestRequestRefused {tenant, code, status, path, reason}
//   events refused one by one (per-event acceptance) ─► eventsRejected():
//     driftwatch_ingest_rejected_events_total{error_code} + IngestEventsRejected {tenant, code,
//     count, path, first reason}
//
// Metrics carry the code only (never the tenant: few label values); log lines carry the tenant
// (null before the credential was accepted). Lines are rate-limited per tenant and code (one per
// 10 s, the rest counted in the next line's `suppressed`); at most MAX_GATES gates are kept, all
// dropped when full. DW_ERR_INTERNAL and DW_ERR_UNAVAILABLE are logged where they arise
// (EngineInternalError, EngineDatabaseUnavailableError), and quota and rate refusals by
// ingest.ts (IngestTenantQuotaExceeded, IngestTenantLimited): counted here, not logged twice.
import type { DwError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/log.js';
import { countRefusal, countRejectedEvent, IngestEventsRejected, IngestRequestRefused, LogGate } from '../../src/core/telemetry/index.js';

export const MAX_GATES = 10_000;
const LOGGED_ELSEWHERE: ReadonlySet<string> = new Set(['DW_ERR_INTERNAL', 'DW_ERR_UNAVAILABLE', 'DW_ERR_QUOTA_EXCEEDED', 'DW_ERR_RATE_LIMITED']);
const MAX_REASON = 300;

const gates = new Map<string, LogGate>();
/** One gate per event kind ('r'equest, 'e'vents), tenant and code. */
function gateOf(kind: 'r' | 'e', tenantId: string | undefined, code: string): LogGate {
  const key = `${kind}${tenantId ?? ''}\u0000${code}`;
  let g = gates.get(key);
  if (g === undefined) {
    if (gates.size >= MAX_GATES) gates.clear();
    g = new LogGate();
    gates.set(key, g);
  }
  return g;
}

/** Where a refusal happened: the tenant once known, and the path (or `ws` for a frame). */
export interface RefusalSite {
  readonly log: Logger;
  readonly path: string;
  tenantId?: string;
}

/** Counts a whole refusal by code and logs it (rate-limited per tenant and code). */
export function requestRefused(site: RefusalSite, err: DwError): void {
  countRefusal('engine', err.code);
  if (LOGGED_ELSEWHERE.has(err.code)) return;
  IngestRequestRefused.emit(site.log, {
    tenant: site.tenantId ?? null, code: err.code, status: err.statusCode, path: site.path, reason: err.message.slice(0, MAX_REASON),
  }, 1, gateOf('r', site.tenantId, err.code));
}

/** Counts events refused one by one, by code, and logs one line per code (rate-limited per tenant and code). */
export function eventsRejected(site: RefusalSite, rejected: readonly { code: string; message: string }[]): void {
  if (rejected.length === 0) return;
  const byCode = new Map<string, { count: number; first: string }>();
  for (const r of rejected) {
    const e = byCode.get(r.code);
    if (e === undefined) byCode.set(r.code, { count: 1, first: r.message });
    else e.count++;
  }
  for (const [code, { count, first }] of byCode) rejectedByCode(site, code, count, first);
}

/** The same for a count of events refused with one code (`reason`: the first one's). */
export function rejectedByCode(site: RefusalSite, code: string, count: number, reason: string): void {
  countRejectedEvent(code, count);
  IngestEventsRejected.emit(site.log, {
    tenant: site.tenantId ?? null, code, count, path: site.path, reason: reason.slice(0, MAX_REASON),
  }, count, gateOf('e', site.tenantId, code));
}
