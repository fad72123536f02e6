// A path slot with ids in it (/api/v1/invoices/48213) is high-cardinality, so it was no context of
// the line's other values: an invoice fetch's latency was judged with the export route's, which
// takes seconds (40× the invoice's usual went unseen, and every export was reported as slow), and
// a 502 on /api/v1/me was judged against the 502s of another GET route. The path's route (its id
// segments as *) is a view of the line's numbers and the context of its HTTP status
// (field-routes.ts): a Go API's logfmt request lines, a fresh id, user and request id on each.
import { describe, expect, it } from 'vitest';
import { seeded, type Random } from '../../src/tools/eval/generators/random.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { countRoute, pieceWords, ROUTE_PARAMS, routeShape, statusClass } from '../../workers/detectors/field-routes.js';
import { fieldBytes, freshField, grownBytes } from '../../workers/detectors/fields.js';
import { FIELD_BYTES, jsonBytes } from '../../workers/detectors/budget.js';
import { runStream } from './helpers.js';

const T0 = 1_785_000_000_000;

interface Route { method: string; path: (r: Random) => string; share: number; ms: number; bytes: number; fail: number }

const ROUTES: Route[] = [
  { method: 'GET', path: (r) => `/api/v1/invoices/${r.int(10_000, 99_999)}`, share: 0.45, ms: 25, bytes: 1800, fail: 0 },
  { method: 'GET', path: (r) => `/api/v1/customers/${r.int(1000, 9999)}/invoices`, share: 0.22, ms: 50, bytes: 6000, fail: 0.05 },
  { method: 'GET', path: () => '/api/v1/me', share: 0.2, ms: 5, bytes: 350, fail: 0 },
  { method: 'GET', path: (r) => `/api/v1/reports/export?month=2026-${String(r.int(1, 12)).padStart(2, '0')}`, share: 0.05, ms: 4000, bytes: 1_500_000, fail: 0 },
  { method: 'POST', path: () => '/api/v1/payments', share: 0.08, ms: 300, bytes: 200, fail: 0 },
];

const spread = (r: Random, x: number): number => x * Math.exp(0.35 * (r.next() + r.next() + r.next() - 1.5));

/** n request lines 2 s apart; `edit` changes line `at` (route index, status, latency factor, bytes factor). */
function api(n: number, edit?: { at: number; route: number; status?: string; ms?: number; bytes?: number }): { events: ScoreInput[]; routes: number[] } {
  const r = seeded(17);
  const events: ScoreInput[] = [];
  const routes: number[] = [];
  for (let i = 0; i < n; i++) {
    let u = r.next();
    let k = 0;
    while (k < ROUTES.length - 1 && u >= ROUTES[k].share) u -= ROUTES[k++].share;
    if (edit !== undefined && i === edit.at) k = edit.route;
    const x = ROUTES[k];
    let status = r.chance(x.fail) ? '502' : '200';
    let ms = spread(r, x.ms);
    let bytes = Math.round(spread(r, x.bytes));
    if (edit !== undefined && i === edit.at) {
      status = edit.status ?? status;
      ms *= edit.ms ?? 1;
      bytes = Math.round(bytes * (edit.bytes ?? 1));
    }
    const ts = T0 + i * 2000;
    routes.push(k);
    events.push({ ts, text: `time=${new Date(ts).toISOString()} level=INFO msg=request method=${x.method} path=${x.path(r)} status=${status} dur_ms=${ms.toFixed(2)} bytes=${bytes} user=usr_${r.hex(6)} req_id=${r.hex(26)}` });
  }
  return { events, routes };
}

const N = 8000;
const AT = 7000;
const WARM = 2000;
const slotFindings = (findings: Finding[], i: number): Finding[] => findings.filter((f) => f.index === i && f.detector === 'template_slot');

describe('the route of a path with ids (field-routes.ts)', () => {
  it('masks the id segments and the query values; keeps versions and words', () => {
    expect(routeShape('/api/v1/invoices/48213')).toBe('/api/v1/invoices/*');
    expect(routeShape('/api/v1/customers/7360/invoices')).toBe('/api/v1/customers/*/invoices');
    expect(routeShape('/api/v1/reports/export?month=2026-03&x=1')).toBe('/api/v1/reports/export?month=*&x=*');
    expect(routeShape('/blog/release-notes-2026-07')).toBe('/blog/*');
    expect(routeShape('/v2/me')).toBe('/v2/me');
    expect(routeShape('/blog/zero-trust')).toBe('/blog/zero-trust');
    expect(pieceWords('path~/api/v1/invoices/*')).toBe('route /api/v1/invoices/<id>');
    expect(pieceWords('path~/export?month=*')).toBe('route /export?month=…');
    expect(pieceWords('method=GET')).toBe('method=GET');
    expect([statusClass('503'), statusClass('200'), statusClass('099'), statusClass('5034'), statusClass('6xx')]).toEqual([5, 2, 0, 0, 0]);
  });

  it('counts at most maxRoutes routes per field, its bytes counted as they grow and matching fieldBytes', () => {
    const f = freshField();
    f.v = null;
    const g0 = grownBytes();
    for (let i = 0; i < 40; i++) countRoute(f, `/r${String.fromCharCode(97 + (i % 26))}${i}x`);
    for (let i = 0; i < 40; i++) countRoute(f, '/ra0x');
    expect(Object.keys(f.r ?? {})).toHaveLength(ROUTE_PARAMS.maxRoutes);
    expect(f.r?.['/ra0x']).toEqual([41, 0]);
    expect(grownBytes() - g0).toBe(fieldBytes(f, 'path') - FIELD_BYTES - jsonBytes('path'));
    // A route past maxRoutes is no context; a counted one is, once the field has minSightings requests.
    expect(countRoute(f, '/new').context).toBe(false);
    expect(countRoute(f, '/ra0x').context).toBe(true);
  });

  it("judges a latency against its own route: 40× an invoice fetch's is reported, the export route's seconds are not", () => {
    const { events, routes } = api(N, { at: AT, route: 0, ms: 40 });
    const { findings } = runStream('logs', events, 250);
    const slow = slotFindings(findings, AT);
    expect(slow.map((f) => f.details.kind)).toContain('numeric_outlier');
    expect(slow.map((f) => f.explanation).join(' ')).toMatch(/for route \/api\/v1\/invoices\/<id>/);
    const exports = routes.flatMap((k, i) => (i >= WARM && k === 3 ? [i] : []));
    expect(exports.length).toBeGreaterThan(150);
    expect(exports.flatMap((i) => slotFindings(findings, i).map((f) => `${i}: ${f.explanation}`))).toEqual([]);
  });

  it('a response 40× the size of /api/v1/me\'s is reported for its route', () => {
    const { events } = api(N, { at: AT, route: 2, bytes: 40 });
    const { findings } = runStream('logs', events, 250);
    expect(slotFindings(findings, AT).map((f) => f.explanation).join(' ')).toMatch(/"bytes".*for route \/api\/v1\/me/);
  });

  it('a 502 on /api/v1/me, which has never answered 5xx, is reported though another GET route has its 502s', () => {
    const { events, routes } = api(N, { at: AT, route: 2, status: '502' });
    const { findings } = runStream('logs', events, 250);
    const me = slotFindings(findings, AT);
    expect(me.map((f) => f.explanation).join(' ')).toMatch(/status 502 on route \/api\/v1\/me: no 5xx there in \d+ requests/);
    // The customers route's own 502s are not news.
    const failing = routes.flatMap((k, i) => (i >= WARM && k === 1 && (events[i].text as string).includes('status=502') ? [i] : []));
    expect(failing.length).toBeGreaterThan(20);
    expect(failing.flatMap((i) => slotFindings(findings, i).map((f) => `${i}: ${f.explanation}`))).toEqual([]);
  });
});
