// The engine's operator endpoints on its uWebSockets.js app:
//
//   GET /metrics ─► METRICS_TOKEN set? bearer compared in constant time (401 if not) ─► the
//                   process's registry as Prometheus text (src/core/telemetry)
//   GET /ready   ─► closing? 503 DW_ERR_SHUTTING_DOWN
//                ─► PostgreSQL answers SELECT 1 within READY_PING_MS and nothing is spooled
//                     ─► 200 {"ready":true,"storage":"postgresql"}
//                ─► else the spool takes writes (on, not full) ─► 200 {"ready":true,"storage":"spool"}
//                ─► else 503 DW_ERR_DATABASE_UNAVAILABLE or DW_ERR_SPOOL_FULL: this engine cannot acknowledge
//
// uWS rules (STYLE.md §7): headers are read inside the handler, onAborted before any await, and
// the answer written in res.cork().
import type pg from 'pg';
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { DwError, errorBody } from '../src/core/errors.js';
import { countRefusal, METRICS_CONTENT_TYPE, METRICS_PATH, metricsAccess, metricsText } from '../src/core/telemetry/index.js';
import { statusLine } from './sources/common.js';

/** How long /ready waits for PostgreSQL's answer before it counts it as down. */
export const READY_PING_MS = 1_000;

export type Storage = 'postgresql' | 'spool';

export interface Readiness {
  ready: boolean;
  /** Where an acknowledged batch goes now; null when the engine cannot acknowledge. */
  storage: Storage | null;
  postgresql: 'up' | 'down';
  error?: DwError;
}

export interface ProbeDeps {
  pool: pg.Pool;
  metricsToken: string | undefined;
  readonly closing: boolean;
  /** The spool's state, undefined when it is off (SPOOL_MAX_BYTES 0). */
  spool(): { spooling: boolean; bytes: number; maxBytes: number } | undefined;
}

/** SELECT 1 within READY_PING_MS; one ping in flight at a time, shared by concurrent probes. */
function pinger(pool: pg.Pool): () => Promise<boolean> {
  let inFlight: Promise<boolean> | undefined;
  return () => {
    inFlight ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), READY_PING_MS);
      pool.query('SELECT 1').then(() => resolve(true), () => resolve(false)).finally(() => clearTimeout(timer));
    }).finally(() => { inFlight = undefined; });
    return inFlight;
  };
}

/** Whether this engine can acknowledge a batch now, and where it would be durable. */
export async function readiness(deps: ProbeDeps, ping: () => Promise<boolean>): Promise<Readiness> {
  if (deps.closing) return { ready: false, storage: null, postgresql: 'up', error: new DwError('DW_ERR_SHUTTING_DOWN') };
  const up = await ping();
  const spool = deps.spool();
  const postgresql = up ? 'up' : 'down';
  if (up && spool?.spooling !== true) return { ready: true, storage: 'postgresql', postgresql };
  if (spool !== undefined) {
    if (spool.bytes < spool.maxBytes) return { ready: true, storage: 'spool', postgresql };
    return { ready: false, storage: null, postgresql, error: new DwError('DW_ERR_SPOOL_FULL') };
  }
  return { ready: false, storage: null, postgresql, error: new DwError('DW_ERR_DATABASE_UNAVAILABLE') };
}

function answer(res: HttpResponse, status: number, body: string, contentType = 'application/json'): void {
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('content-type', contentType).writeHeader('cache-control', 'no-store');
    if (status === 503) res.writeHeader('retry-after', '1');
    res.end(body);
  });
}

export function probes(app: TemplatedApp, deps: ProbeDeps): void {
  const allowed = metricsAccess(deps.metricsToken);
  const ping = pinger(deps.pool);

  app.get(METRICS_PATH, (res, req) => {
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    if (!allowed(req.getHeader('authorization') || undefined)) {
      const err = new DwError('DW_ERR_UNAUTHORIZED', 'GET /metrics needs the metrics token (METRICS_TOKEN) as a bearer token');
      countRefusal('engine', err.code);
      answer(res, err.statusCode, JSON.stringify(errorBody(err)));
      return;
    }
    metricsText().then(
      (text) => { if (!aborted) answer(res, 200, text, METRICS_CONTENT_TYPE); },
      () => { if (!aborted) answer(res, 500, JSON.stringify(errorBody(new DwError('DW_ERR_INTERNAL', 'metrics could not be collected')))); },
    );
  });

  app.get('/ready', (res) => {
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    void readiness(deps, ping).then((r) => {
      if (aborted) return;
      const body = { ready: r.ready, storage: r.storage, postgresql: r.postgresql, ...(r.error ? errorBody(r.error) : {}) };
      answer(res, r.ready ? 200 : 503, JSON.stringify(body));
    });
  });
}
