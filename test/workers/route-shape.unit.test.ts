// A path slot with ids in it (/api/v1/invoices/48213) is high-cardinality, so it was no context for
// the line's numbers: an invoice fetch's latency was judged with the export route's, which takes
// seconds, and 40× its usual went unseen (host generator). The path's shape (its segments with a
// digit as *, its query's keys) is a context piece of the line (logs-values.ts routeShape).
import { describe, expect, it } from 'vitest';
import { routeShape } from '../../workers/detectors/logs-values.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const ROUTES: [string, (r: ReturnType<typeof seeded>) => string, number][] = [
  ['GET', (r) => `/api/v1/invoices/${r.int(10_000, 99_999)}`, 25],
  ['GET', (r) => `/api/v1/customers/${r.int(1000, 9999)}/invoices`, 45],
  ['GET', (r) => `/api/v1/reports/export?month=2026-${String(r.int(1, 12)).padStart(2, '0')}`, 4000],
];

function api(n: number): ScoreInput[] {
  const r = seeded(7);
  const out: ScoreInput[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.chance(0.1) ? 2 : r.int(0, 1);
    const [method, path, ms] = ROUTES[k];
    out.push({ ts: T0 + i * 2000, text: `level=INFO msg=request method=${method} path=${path(r)} status=200 dur_ms=${(ms * Math.exp(0.4 * (r.next() + r.next() - 1))).toFixed(2)} user=usr_${r.hex(6)}` });
  }
  return out;
}

describe('route shape', () => {
  it('masks the segments with a digit and the query values', () => {
    expect(routeShape('/api/v1/invoices/48213')).toBe('/api/*/invoices/*');
    expect(routeShape('/api/v1/reports/export?month=2026-03&x=1')).toBe('/api/*/reports/export?month&x');
    expect(routeShape('/healthz')).toBe('/healthz');
  });

  it('judges a latency against its own route when the path holds ids', () => {
    const ev = api(3000);
    const k = ev.findIndex((e, i) => i > 2500 && (e.text as string).includes('/api/v1/invoices/'));
    ev[k] = { ...ev[k], text: (ev[k].text as string).replace(/dur_ms=[\d.]+/, 'dur_ms=1100.00') };
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.index === k && f.details.kind === 'numeric_outlier')).toHaveLength(1);
    expect(findings.filter((f) => f.index !== k && f.detector === 'template_slot')).toHaveLength(0);
  });
});
