// Issue 11's "known line with an unusual value" as a real service logs it: the value is unusual for
// its route, not for the stream. /api/search returns a 503 about once in 100 requests, /api/cart
// never returns a 5xx: a 503 on /api/cart is news, one on /api/search is not. /healthz takes
// 1-2 ms and /api/report about 2 s: 40 ms on /healthz (30×) is news, 2 s on /api/report is not.
// The route, status and duration in an nginx-style access line, a JSON body, a logfmt line, or
// only in the event's metadata; a fresh request id, user and client address on every line.
import { describe, expect, it } from 'vitest';
import { seeded, type Random } from '../../src/tools/eval/generators/random.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { fieldBytes, flushFields, freshField, grownBytes, isContext, observeValue, type FieldStats } from '../../workers/detectors/fields.js';
import { FIELD_BYTES, jsonBytes } from '../../workers/detectors/budget.js';

const T0 = 1_760_000_000_000;

interface Req { method: string; route: string; status: string; ms: number }

const ROUTES = [
  { method: 'GET', route: '/api/search', share: 0.4, ms: 80, statuses: ['200'], fail: 0.01 },
  { method: 'POST', route: '/api/cart', share: 0.3, ms: 30, statuses: ['200', '201'], fail: 0 },
  { method: 'GET', route: '/api/report', share: 0.1, ms: 2000, statuses: ['200'], fail: 0 },
  { method: 'GET', route: '/healthz', share: 0.2, ms: 1.5, statuses: ['200'], fail: 0 },
];

function request(r: Random): Req {
  let u = r.next();
  let k = 0;
  while (k < ROUTES.length - 1 && u >= ROUTES[k].share) u -= ROUTES[k++].share;
  const x = ROUTES[k];
  const status = r.next() < x.fail ? '503' : r.pick(x.statuses);
  // /healthz: 1 or 2 ms; the others lognormal around their median.
  const ms = x.route === '/healthz' ? r.int(1, 2) : Math.max(1, Math.round(x.ms * Math.exp(0.3 * (r.next() + r.next() + r.next() - 1.5) * 2)));
  return { method: x.method, route: x.route, status, ms };
}

type Format = (r: Random, ts: number, q: Req) => ScoreInput;

const pad = (n: number): string => String(n).padStart(2, '0');
const UAS = ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'shop-android/4.12.0 okhttp/4.12.0', 'curl/8.5.0'];

const FORMATS: Record<string, Format> = {
  nginx: (r, ts, q) => {
    const d = new Date(ts);
    const ip = `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
    const when = `${pad(d.getUTCDate())}/Dec/2026:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
    return { ts, text: `${ip} - u_${r.int(100000, 999999)} [${when}] "${q.method} ${q.route} HTTP/1.1" ${q.status} ${r.int(120, 48000)} "-" "${r.pick(UAS)}" ${(q.ms / 1000).toFixed(3)} ${r.hex(32)}` };
  },
  json: (r, ts, q) => ({ ts, text: JSON.stringify({ ts: new Date(ts).toISOString(), level: 'info', msg: 'request served', method: q.method, route: q.route, status: Number(q.status), duration_ms: q.ms, request_id: r.hex(24), user: `u_${r.int(100000, 999999)}` }) }),
  logfmt: (r, ts, q) => ({ ts, text: `ts=${new Date(ts).toISOString()} level=info msg="request served" method=${q.method} route=${q.route} status=${q.status} duration_ms=${q.ms} request_id=${r.hex(24)} user=u_${r.int(100000, 999999)}` }),
  metadata: (r, ts, q) => ({ ts, text: `request served request_id=${r.hex(24)} user=u_${r.int(100000, 999999)}`, metadata: { method: q.method, route: q.route, status: Number(q.status), duration_ms: q.ms } }),
};

/** n requests 150 ms apart in `format`, with `edits` (index → request) in place of the drawn ones. */
function stream(format: Format, n: number, edits: Record<number, Partial<Req> & { route: string }>, seed = 11): { events: ScoreInput[]; reqs: Req[] } {
  const r = seeded(seed);
  const events: ScoreInput[] = [];
  const reqs: Req[] = [];
  for (let i = 0; i < n; i++) {
    let q = request(r);
    const e = edits[i];
    if (e !== undefined) {
      const x = ROUTES.find((y) => y.route === e.route)!;
      q = { method: x.method, route: x.route, status: e.status ?? x.statuses[0], ms: e.ms ?? Math.round(x.ms) };
    }
    reqs.push(q);
    events.push(format(r, T0 + i * 150, q));
  }
  return { events, reqs };
}

const VALUE_DETECTORS = new Set(['template_slot', 'metadata_field']);
const valueFindings = (findings: Finding[], i: number): Finding[] => findings.filter((f) => f.index === i && VALUE_DETECTORS.has(f.detector));

const N = 12_000;
const WARM = 3_000;

describe.each(Object.keys(FORMATS))('a value unusual for its route (%s)', (name) => {
  const format = FORMATS[name];

  it('a 503 on /api/cart, which never returns a 5xx, is reported; the 503s of /api/search are not', () => {
    const at = 10_500;
    const alsoSearch = 10_700;
    const { events, reqs } = stream(format, N, { [at]: { route: '/api/cart', status: '503' }, [alsoSearch]: { route: '/api/search', status: '503' } });
    const { findings } = runStream('logs', events, 250);
    const cart = valueFindings(findings, at);
    expect(cart.length).toBeGreaterThan(0);
    expect(cart.map((f) => f.explanation).join(' ')).toMatch(/"503"/);
    const search = reqs.flatMap((q, i) => (i >= WARM && q.route === '/api/search' && q.status === '503' ? [i] : []));
    expect(search.length).toBeGreaterThan(20);
    expect(search.flatMap((i) => valueFindings(findings, i))).toEqual([]);
  });

  // Known gap (nginx): the access lines split into a template per route and user agent, and
  // /healthz's request_time takes two values (0.001, 0.002), a categorical slot: "0.040" is an
  // unseen value in 687 sightings, p ≈ 0.0015, under the slots' bar (p ≈ 1e-3); its size is not
  // judged. it.fails turns into a failure once it is reported.
  (name === 'nginx' ? it.fails : it)('40 ms on /healthz (1-2 ms there) is reported; 2 s on /api/report is not', () => {
    const at = 10_500;
    const report = 10_700;
    const { events, reqs } = stream(format, N, { [at]: { route: '/healthz', ms: 40 }, [report]: { route: '/api/report', ms: 2000 } });
    const { findings } = runStream('logs', events, 250);
    const slow = valueFindings(findings, at);
    expect(slow.length).toBeGreaterThan(0);
    expect(slow.map((f) => f.details.kind)).toContain('numeric_outlier');
    expect(valueFindings(findings, report)).toEqual([]);
    // No value finding on any ordinary line after the warm-up.
    const ordinary = findings.filter((f) => f.index >= WARM && f.index !== at && VALUE_DETECTORS.has(f.detector) && !(reqs[f.index].status === '503'));
    expect(ordinary.map((f) => `${f.index}: ${f.explanation}`)).toEqual([]);
  });
});

describe('a rare value judged in the contexts of its line (field-contexts.ts)', () => {
  /** Field `status` (owner 0) with a route context (owner 1): n lines, route i % 4, status from pick(i). */
  function feedStatus(n: number, pick: (i: number, route: string) => string): { status: FieldStats; route: FieldStats; observe: (value: string, route: string) => ReturnType<typeof observeValue> } {
    const status = freshField();
    const route = freshField();
    const routes = ['/a', '/b', '/c', '/d'];
    const observe = (value: string, r: string): ReturnType<typeof observeValue> => {
      const cx = isContext(route) && route.k > 1 ? { pieces: [`route=${r}`], fields: [route], values: [r], owner: [1] } : undefined;
      const out = observeValue(status, value, '', true, false, undefined, cx, 0);
      observeValue(route, r, '', true, false);
      return out;
    };
    for (let i = 0; i < n; i++) observe(pick(i, routes[i % 4]), routes[i % 4]);
    return { status, route, observe };
  }

  it('a value seen only on one route is news on a route that never had it, not on its own', () => {
    const { observe } = feedStatus(8000, (i, r) => (r === '/a' && i % 200 === 0 ? '503' : '200'));
    const own = observe('503', '/a');
    expect(own === null || own.score < 0.5).toBe(true);
    const other = observe('503', '/b');
    expect(other?.kind).toBe('context_value');
    expect(other!.score).toBeGreaterThanOrEqual(0.5);
    expect(other!.words).toMatch(/value "503" never seen with route=\/b in about \d+ sightings of it, though seen \d+ times elsewhere/);
  });

  it('a value seen a few times, by chance never on this route, is not news there (it did not avoid the route)', () => {
    // Three sightings, on /a, /c and /d: (1 - 1/4)^3 ≈ 0.42 that all three missed /b by chance.
    const at = new Set([1000, 2002, 3003]);
    // (Rare over the stream it is: the stream-wide rare_value judgement stands, no context adds to it.)
    const { observe } = feedStatus(8000, (i) => (at.has(i) ? '401' : '200'));
    expect(observe('401', '/b')?.kind).toBe('rare_value');
  });

  it('its bytes are counted as the state grows and match fieldBytes; a field gone high-cardinality drops them', () => {
    const g0 = grownBytes();
    const { status, route } = feedStatus(3000, (i, r) => (r === '/a' && i % 100 === 0 ? `5${i % 7}3` : '200'));
    expect(Object.keys(status.x ?? {}).length).toBeGreaterThan(1);
    flushFields();
    const own = (f: FieldStats, name: string): number => fieldBytes(f, name) - FIELD_BYTES - jsonBytes(name);
    expect(grownBytes() - g0).toBe(own(status, 'status') + own(route, 'route'));
    const g1 = grownBytes();
    const before = fieldBytes(status, 'status');
    for (let k = 0; k < 20; k++) observeValue(status, `id${k}`, '', true, false);
    expect(status.v).toBeNull();
    expect(status.x).toBeUndefined();
    expect(grownBytes() - g1).toBe(fieldBytes(status, 'status') - before);
  });
});
