// The burst periods of a log stream's templates (LogsState.rp, rate-period.ts) count in the
// template layer's byte budget (budget.ts, issue 11: "state per log stream stays bounded"): a
// stream whose thousands of templates burst again and again keeps its template layer (the miner's
// templates, their slot, rate and period records, the families) within 1.25 MiB, the least
// recently seen templates evicted with their records. Fails on the code before (a period record,
// up to about 190 bytes a template, was outside the accounting: the layer reached 1.36 MB here).
// And the families' records (f, fp: at most 64, keys of at most 256 bytes) fit their share
// (FAMILY_BUDGET) at the budget's widths (fails before: 58,702 bytes > 56 KiB).
import { describe, expect, it } from 'vitest';
import { scoreLogs } from '../../workers/detectors/logs.js';
import { FAMILY_BUDGET } from '../../workers/detectors/budget.js';
import { MAX_FAMILIES } from '../../workers/detectors/logs-rate.js';
import { PERIOD_LEN } from '../../workers/detectors/rate-period.js';
import { RATE_LEN } from '../../workers/detectors/rate.js';
import type { ScoreInput } from '../../workers/types.js';
import { logsInTasks } from './helpers.js';
import { letterWord } from '../../src/tools/demo/synthetic.js';

/** The bounds (STATE_BUDGET.templates, .stream), written out so that this test runs on code without budget.ts's accounting of periods. */
const TEMPLATES = 1280 * 1024;
const STREAM = 2 * 1024 * 1024;

interface Logs { m: { t: unknown[] }; s: unknown; r: unknown; rp?: Record<string, number[]>; f?: unknown; fp?: unknown }
const json = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');

describe('burst periods in the template budget', () => {
  it('thousands of templates that burst again and again keep the template layer within its budget', () => {
    // 3,400 short templates (4,200 before VALUE_BUDGET took 96 KiB of the layer, 3,850 before PAIR_BUDGET took 40 KiB, 3,700 before PARTNER_BUDGET took 77 KiB; one line each, most of the layer as accounted: with a little more the
    // first bursts' charges evict the next templates to burst, and none keeps a period record), then 7
    // rounds in which each bursts in turn (8 lines within 0.7 s, a second apart): on the code
    // before, every template ends with a full period record (6 past episodes). Timestamps with a fraction of a millisecond in
    // year 9892 (19 characters, as a microsecond clock gives them) make the records as long as they get.
    const N = 3_400;
    const T0 = 250_000_000_000_000.125;
    const line = (k: number): string => `${letterWord(k + 1000)} probe ok`;
    const ev: ScoreInput[] = [];
    for (let k = 0; k < N; k++) ev.push({ ts: T0 + k * 10, text: line(k) });
    const from = T0 + 400_000;
    const round = N * 1000 + 60_000;
    for (let e = 0; e < 7; e++) for (let k = 0; k < N; k++) for (let j = 0; j < 8; j++) ev.push({ ts: from + e * round + k * 1000 + j * 90, text: line(k) });
    ev.sort((a, b) => a.ts - b.ts);
    let state: Uint8Array | null = null;
    let layer = 0;
    let whole = 0;
    let periods = 0;
    for (let at = 0; at < ev.length; at += 5000) {
      const r = scoreLogs(state, ev.slice(at, at + 5000), undefined);
      state = r.state;
      const s = JSON.parse(Buffer.from(state).toString('utf8')) as Logs;
      layer = Math.max(layer, json({ m: s.m, s: s.s, r: s.r, rp: s.rp, f: s.f, fp: s.fp }));
      whole = Math.max(whole, state.byteLength);
      periods = Math.max(periods, Object.keys(s.rp ?? {}).length);
    }
    // Bursts were learned (the code before kept 4,200 full period records; charged, they evict
    // the least recently seen templates, whose next lines start afresh, with no burst test)…
    expect(periods).toBeGreaterThan(100);
    // …within the template layer's budget, and the stream's.
    expect(layer).toBeLessThanOrEqual(TEMPLATES);
    expect(whole).toBeLessThan(STREAM);
  }, 300_000);

  it('a loaded state charges its period records as the live scorer did: the same evictions however the stream is split', () => {
    // 2,600 templates, each bursting once: their period records take the layer over its budget
    // (the least recently seen templates evicted). Scored at once, and in tasks of 700 each
    // parsing the state it is given (chargePeriods on load), the states and findings are the same.
    const N = 2_600;
    const T0 = 1_700_000_000_000;
    const line = (k: number): string => `${letterWord(k + 1000)} probe ok`;
    const ev: ScoreInput[] = [];
    for (let k = 0; k < N; k++) ev.push({ ts: T0 + k * 10, text: line(k) });
    for (let k = 0; k < N; k++) for (let j = 0; j < 8; j++) ev.push({ ts: T0 + 400_000 + k * 1000 + j * 90, text: line(k) });
    const whole = scoreLogs(null, ev, undefined);
    // No stream key: every task parses the state it is given, as after a restart or on another thread.
    const { findings, state } = logsInTasks(ev, 700);
    const s = JSON.parse(Buffer.from(whole.state).toString('utf8')) as Logs;
    expect(Object.keys(s.rp ?? {}).length).toBeGreaterThan(100);
    expect(s.m.t.length).toBeLessThan(N);
    expect(Buffer.from(state).equals(Buffer.from(whole.state))).toBe(true);
    expect(findings).toEqual(whole.findings);
  }, 300_000);

  it('the families at their largest (64 keys of 256 bytes, records at the budget widths) fit FAMILY_BUDGET', () => {
    // Timestamps of 17 characters (microseconds), counts of 10 digits, means at 6 significant digits (budget.ts's widths).
    const ts = 1_700_000_000_000.125;
    const count = 4_294_967_295;
    const mean = -1.23457e-100;
    const rate = Array.from({ length: RATE_LEN }, (_, i) => (i === 0 || i === 5 ? ts : i === 2 || i === 4 || i === 13 ? mean : i >= 6 && i <= 9 ? 86_400_000 : i === 10 ? 99_999.99 : count));
    const period = Array.from({ length: PERIOD_LEN }, (_, i) => (i === 0 || i === 1 || (i >= 4 && i < 10) ? ts : count));
    const f: Record<string, number[]> = {};
    const fp: Record<string, number[]> = {};
    for (let k = 0; k < MAX_FAMILIES; k++) {
      const key = `${letterWord(k)} `.padEnd(254, 'x');
      f[key] = rate;
      fp[key] = period;
    }
    expect(json(Object.keys(f)[0])).toBe(256);
    expect(json({ f, fp })).toBeLessThanOrEqual(FAMILY_BUDGET);
  });
});
