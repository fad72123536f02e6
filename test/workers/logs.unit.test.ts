// The logs detector (workers/detectors/logs.ts) on its template layer (templates.ts): one test
// per kind of score, each on a stream built so that it fails if that score stops working.
import { describe, expect, it } from 'vitest';
import { prng } from '../../src/tools/demo/synthetic.js';
import { LOG_PARAMS, numberOf, poissonTailLog10, scoreLogs } from '../../workers/detectors/logs.js';
import { TemplateMiner, templateText } from '../../workers/detectors/templates.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

/** An api stream, 5 lines a second: routes with their own statuses and latencies, fresh users and ids. */
function api(n: number, seed: number, at = (i: number) => T0 + i * 200): { ev: ScoreInput[]; line: (i: number, o?: { status?: string; lat?: number; cur?: string }) => string } {
  const r = prng(seed);
  const hex = (k: number): string => Array.from({ length: k }, () => Math.floor(r() * 16).toString(16)).join('');
  const routes = ['/api/orders', '/api/cart', '/api/search'];
  const line = (i: number, o: { status?: string; lat?: number; cur?: string } = {}): string => {
    const route = routes[i % 3];
    const lat = o.lat ?? Math.round((40 + 60 * (i % 3)) * Math.exp(0.3 * (r() - 0.5)));
    return `INFO api GET ${route} status=${o.status ?? (r() < 0.8 ? '200' : '304')} latency_ms=${lat} currency=${o.cur ?? ['USD', 'EUR'][i % 2]} user=u${Math.floor(r() * 1e5)} req=${hex(12)}`;
  };
  return { ev: Array.from({ length: n }, (_, i) => ({ ts: at(i), text: line(i) })), line };
}

const kinds = (fs: Finding[], i: number): string[] => fs.filter((f) => f.index === i).map((f) => String(f.details.kind));

describe('template miner', () => {
  it('mines one template per message, fields and numbers as slots, and keeps lines of different messages apart', () => {
    const m = new TemplateMiner();
    const a = m.match('INFO api GET /api/orders status=200 latency_ms=31 user=u1 req=ab12', 1);
    const b = m.match('INFO api GET /api/orders status=304 latency_ms=7 user=u2 req=cd34', 2);
    const c = m.match('ERROR db connection refused host=db1', 3);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.template.id).toBe(a.template.id);
    expect(templateText(a.template)).toBe('INFO api GET /api/orders status=<*> latency_ms=<*> user=<*> req=<*>');
    expect(c.template.id).not.toBe(a.template.id);
    // A field without digits becomes a slot when its value changes; the old value is reported.
    m.match('INFO pay currency=USD ok', 4);
    const d = m.match('INFO pay currency=EUR ok', 5);
    expect(d.merged).toEqual([[2, 'currency=USD']]);
    expect(templateText(d.template)).toBe('INFO pay currency=<*> ok');
  });

  it('is bounded (least recently seen evicted) and round-trips through its state', () => {
    const m = new TemplateMiner(undefined, { maxTemplates: 50, similarity: 0.8, cacheSize: 100, maxTokens: 64 });
    for (let i = 0; i < 200; i++) m.match(`event kind${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))} happened here`, i);
    expect(m.size).toBe(50);
    const copy = new TemplateMiner(JSON.parse(JSON.stringify(m.save())));
    expect(copy.save()).toEqual(m.save());
    expect(copy.match('event kindzg happened here', 300).created).toBe(false);
  });
});

describe('logs detector scores', () => {
  it('novelty: a new error template is flagged by its compression cost, with the bits in the explanation', () => {
    const { ev } = api(3000, 1);
    ev[2500] = { ts: ev[2500].ts, text: 'FATAL worker panic: runtime error: index out of range [3] with length 0' };
    const { findings } = runStream('logs', ev, 100);
    const f = findings.find((x) => x.index === 2500 && x.details.kind === 'novel_template');
    expect(f).toBeDefined();
    expect(f?.explanation).toMatch(/\d+ bits/);
    expect(findings.filter((x) => x.index !== 2500)).toEqual([]);
  });

  it('rarity: a rare error recurring all stream long stays anomalous, also after a long burst; a line that became common is not', () => {
    const { ev } = api(12000, 2);
    const err = (i: number): ScoreInput => ({ ts: ev[i].ts, text: `ERROR payments gateway timeout after 30000ms ref=${i.toString(16)}` });
    const burst: number[] = [];
    for (let i = 2000; i < 2120; i++) { ev[i] = err(i); burst.push(i); }
    const later = [4000, 6000, 8000, 10000, 11500];
    for (const i of later) ev[i] = err(i);
    // A new INFO line that becomes common from 3000 on.
    for (let i = 3000; i < 12000; i += 4) if (!later.includes(i)) ev[i] = { ts: ev[i].ts, text: `INFO cache refreshed entries=${i}` };
    const { findings } = runStream('logs', ev, 250);
    const flagged = new Set(findings.map((f) => f.index));
    expect(burst.filter((i) => flagged.has(i)).length).toBeGreaterThan(110);
    for (const i of later) expect(kinds(findings, i), `recurrence at ${i}`).toContain('rare_template');
    const cacheLate = findings.filter((f) => f.index > 5000 && ev[f.index].text?.startsWith('INFO cache'));
    expect(cacheLate).toEqual([]);
  });

  it('slot values: an unseen status or currency on a known line is flagged; fresh users and ids are not', () => {
    const { ev, line } = api(3000, 3);
    ev[2000] = { ts: ev[2000].ts, text: line(2000, { status: '503' }) };
    ev[2600] = { ts: ev[2600].ts, text: line(2600, { cur: 'JPY' }) };
    const { findings } = runStream('logs', ev, 100);
    expect(kinds(findings, 2000)).toContain('unseen_value');
    expect(kinds(findings, 2600)).toContain('unseen_value');
    expect(findings.filter((f) => f.index !== 2000 && f.index !== 2600)).toEqual([]);
  });

  it('numeric slots: a 30× latency on a known route is flagged; counters are ignored', () => {
    // Each route its own template (its bare words differ), with its own latency scale; a counter field.
    const r = prng(4);
    const routes: [string, number][] = [['/api/orders', 40], ['/api/cart', 100], ['/api/search', 160]];
    const ev: ScoreInput[] = Array.from({ length: 3000 }, (_, i) => {
      const [route, base] = routes[i % 3];
      const lat = i === 2500 ? base * 30 : Math.round(base * Math.exp(0.3 * (r() - 0.5)));
      return { ts: T0 + i * 200, text: `INFO api GET ${route} status=200 latency_ms=${lat} seq=${1000 + i} user=u${Math.floor(r() * 1e5)}` };
    });
    const { findings } = runStream('logs', ev, 100);
    expect(kinds(findings, 2500)).toContain('numeric_outlier');
    expect(findings.filter((f) => f.index !== 2500)).toEqual([]);
    expect(numberOf('latency_ms=31')).toBe(31);
    expect(numberOf('12ms')).toBe(12);
    expect(Number.isNaN(numberOf('user=u23'))).toBe(true);
    expect(Number.isNaN(numberOf('2005-06-03'))).toBe(true);
    expect(Number.isNaN(numberOf('blk_-1608999687919862906'))).toBe(true);
  });

  it('rate: a burst of an ordinary, normally infrequent line is flagged in event time; its usual pace is not', () => {
    const { ev } = api(6000, 5);
    for (let i = 0; i < 6000; i += 150) ev[i] = { ts: ev[i].ts, text: `WARN worker retrying job j${i} attempt=2 after timeout` };
    // 40 retries within 4 s at 4000..4039 (the stream is 5 lines a second: 8 s of lines).
    for (let i = 4000; i < 4040; i++) ev[i] = { ts: ev[4000].ts + (i - 4000) * 100, text: `WARN worker retrying job j${i} attempt=3 after timeout` };
    for (let i = 4040; i < 6000; i++) ev[i] = { ts: ev[i].ts, text: ev[i].text };
    const { findings } = runStream('logs', ev, 100);
    const rate = findings.filter((f) => f.details.kind === 'rate');
    expect(rate.length).toBeGreaterThan(20);
    for (const f of rate) expect(f.index >= 4000 && f.index < 4100, `rate finding at ${f.index}: ${f.explanation}`).toBe(true);
    expect(poissonTailLog10(1, 1)).toBeCloseTo(Math.log10(1 - Math.exp(-1)), 6);
    expect(poissonTailLog10(10, 0.5)).toBeLessThan(-9);
  });

  it('silence: a stream that stops for far longer than its pace is flagged on its next line', () => {
    const { ev } = api(2000, 6, (i) => T0 + i * 200 + (i >= 1500 ? 600_000 : 0));
    const { findings } = runStream('logs', ev, 100);
    expect(kinds(findings, 1500)).toContain('silence');
    expect(findings.filter((f) => f.details.kind === 'silence' && f.index !== 1500)).toEqual([]);
  });

  it('scores do not depend on the batch split, and findings on the threshold only', () => {
    const { ev, line } = api(4000, 7);
    ev[3000] = { ts: ev[3000].ts, text: line(3000, { status: '500' }) };
    ev[3500] = { ts: ev[3500].ts, text: 'ERROR db deadlock detected on table orders' };
    const one = runStream('logs', ev, 4000);
    expect(runStream('logs', ev, 100).findings).toEqual(one.findings);
    expect(runStream('logs', ev, 7).findings).toEqual(one.findings);
    expect(Buffer.from(runStream('logs', ev, 100).state as Uint8Array).equals(Buffer.from(one.state as Uint8Array))).toBe(true);
    const low = scoreLogs(null, ev, LOG_PARAMS, undefined, 0.2);
    const high = scoreLogs(null, ev, LOG_PARAMS, undefined, 0.5);
    expect(Buffer.from(low.state).equals(Buffer.from(high.state))).toBe(true);
    expect(low.findings.length).toBeGreaterThanOrEqual(high.findings.length);
  });
  it('a burst of a barely-novel ERROR template becomes an incident as its repeats add evidence; an INFO one does not', () => {
    // One-off notes make new templates that do not repeat: a new template repeating 30 times is unusual here.
    const w = (k: number): string => Array.from({ length: 6 }, (_, j) => 'abcdefghijklmnopqrstuvwxyz'[(k * 7 + j * 13 + k * j) % 26]).join('');
    const stream = (burst: string): ScoreInput[] => {
      const ev: ScoreInput[] = [];
      for (let i = 0; i < 300; i++) ev.push({ ts: T0 + i * 200, text: i % 10 === 5 ? `INFO note ${w(i)} ${w(i + 1)} ${w(i + 2)}` : `INFO api GET /api/r${i % 3} status=200 latency_ms=${40 + (i % 7)} user=u${(i * 7919) % 100000}` });
      for (let i = 300; i < 330; i++) ev.push({ ts: T0 + i * 200, text: burst });
      return ev;
    };
    const P = { ...LOG_PARAMS, sNovel: 8 };
    const score = (fs: Finding[], i: number): number => Math.max(0, ...fs.filter((f) => f.index === i).map((f) => f.score));
    const err = scoreLogs(null, stream('ERROR disk controller fault on shelf A'), P, undefined, 0).findings;
    expect(score(err, 300)).toBeGreaterThanOrEqual(P.suspect);
    expect(score(err, 300)).toBeLessThan(0.5);
    expect(score(err, 329)).toBeGreaterThanOrEqual(0.5);
    expect(kinds(err, 329)).toEqual(['incident']);
    const off = scoreLogs(null, stream('ERROR disk controller fault on shelf A'), { ...P, suspect: 1 }, undefined, 0).findings;
    expect(score(off, 329)).toBeLessThan(0.5);
    const info = scoreLogs(null, stream('INFO disk controller check on shelf A'), P, undefined, 0.5).findings;
    expect(info.filter((f) => f.index >= 300)).toEqual([]);
  });
});
