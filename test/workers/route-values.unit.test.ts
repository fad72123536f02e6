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

  it('40 ms on /healthz (1-2 ms there) is reported; 2 s on /api/report is not', () => {
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
