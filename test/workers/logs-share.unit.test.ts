// A failure value that takes over its slot (logs-share.ts): a trunk down fails every call routed to
// it, and the CDR's disposition turns FAILED on most rows of its template for minutes, each row an
// ordinary value of an ordinary template (voip generator). A routine value that takes over (a new
// disposition, no failure stated) opens no candidate.
import { describe, expect, it } from 'vitest';
import { SHARE_DETECTOR } from '../../workers/detectors/logs.js';
import { binomTailLog10 } from '../../workers/detectors/logs-share.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { runStream } from './helpers.js';

describe('a failure value that takes over its slot', () => {
  const r = seeded(7);
  const t0 = Date.UTC(2026, 7, 22, 21, 0, 0);
  const stamp = (ts: number): string => new Date(ts).toISOString().slice(0, 19).replace('T', ' ');
  let uid = 6000;
  const cdr = (ts: number, disp: string): string =>
    [`"${stamp(ts)}"`, '""', `"${r.int(1000, 1999)}"`, `"44${r.int(1e9, 9e9)}"`, r.int(0, 30), 0, `"${disp}"`, '0.0000', '"GBP"', `"${r.pick(['trunk-uk1', 'trunk-intl'])}"`, `"${Math.floor(ts / 1000)}.${uid++}"`].join(',');
  const normal = (ts: number): string => cdr(ts, r.chance(0.08) ? 'FAILED' : 'BUSY');
  const events: { ts: number; text: string }[] = [];
  let ts = t0;
  for (let i = 0; i < 1500; i++) events.push({ ts: (ts += 5000), text: normal(ts) });
  // A trunk down: 30 rows, 28 of them FAILED.
  const outage: number[] = [];
  for (let i = 0; i < 30; i++) {
    const failed = i % 15 !== 7;
    if (failed) outage.push(events.length);
    events.push({ ts: (ts += 5000), text: cdr(ts, failed ? 'FAILED' : 'BUSY') });
  }
  for (let i = 0; i < 300; i++) events.push({ ts: (ts += 5000), text: normal(ts) });
  // A routine value never seen that takes over: no failure stated.
  const routine: number[] = [];
  for (let i = 0; i < 30; i++) {
    routine.push(events.length);
    events.push({ ts: (ts += 5000), text: cdr(ts, 'REDIRECTED') });
  }

  it('reports the outage rows once FAILED holds most of the slot, and nothing else', () => {
    const { findings } = runStream('logs', events, 100);
    const share = findings.filter((f) => f.detector === SHARE_DETECTOR);
    expect(share.every((f) => outage.includes(f.index))).toBe(true);
    expect(share.length).toBeGreaterThanOrEqual(outage.length - 8);
    expect(share[0].explanation).toMatch(/^Value "FAILED" of slot "colG" of template .* in \d+ of its last \d+ lines, where it had a [\d.]+% share/);
    expect(findings.filter((f) => routine.includes(f.index) && f.detector === SHARE_DETECTOR)).toEqual([]);
  });

  it('binomial tail', () => {
    expect(binomTailLog10(0, 10, 0.3)).toBe(0);
    expect(10 ** binomTailLog10(10, 10, 0.5)).toBeCloseTo(1 / 1024, 8);
    expect(10 ** binomTailLog10(1, 3, 0.5)).toBeCloseTo(7 / 8, 8);
    expect(10 ** binomTailLog10(2, 4, 0.1)).toBeCloseTo(1 - 0.9 ** 4 - 4 * 0.1 * 0.9 ** 3, 8);
  });
});
