// The byte budget of one log stream's state (workers/detectors/budget.ts, issue 11: "state per
// log stream stays bounded"): whatever the lines, what the engine checkpoints and hands from task
// to task (the logs state and the session state) stays under 2 MiB, and the stream still finds a
// new error after a flood of templates. bench/state-size.ts prints the sizes.
import { describe, expect, it } from 'vitest';
import score from '../../workers/score.js';
import { scoreLogs } from '../../workers/detectors/logs.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { letterWord, prng } from '../../src/tools/demo/synthetic.js';
import { logsInTasks } from './helpers.js';

/** The per-stream budget (STATE_BUDGET.stream), written out so that this test runs on code without budget.ts. */
const BUDGET = 2 * 1024 * 1024;
const T0 = 1_700_000_000_000;
const enc = new TextEncoder();

/** One deterministic stream of 32-bit values (mulberry32: prng's draws × 2^32, exact), so every unique() differs. */
const draw = prng(12_345);
const next = (): number => draw() * 4294967296;

/** n characters never generated before (a hostile unique value). */
function unique(n: number): string {
  let s = '';
  while (s.length < n) s += next().toString(36).padStart(7, '0');
  return s.slice(0, n);
}

/** Scores a log stream in tasks of 1000 as the engine does; the largest state (logs + session) after any task, and the findings. */
function run(events: ScoreInput[]): { peak: number; logs: number; findings: Finding[] } {
  let state: Uint8Array | null = null;
  let sessionState: Uint8Array | null = null;
  let peak = 0;
  let logs = 0;
  const findings: Finding[] = [];
  for (let from = 0; from < events.length; from += 1000) {
    const batch = events.slice(from, from + 1000);
    const r = score({ stream: 'budget', streamType: 'logs', state, sessionState, events: enc.encode(JSON.stringify(batch)) });
    if (!r.ok) throw new Error(r.message);
    state = r.state;
    sessionState = r.sessionState ?? null;
    logs = Math.max(logs, state.byteLength);
    peak = Math.max(peak, state.byteLength + (sessionState?.byteLength ?? 0));
    for (const f of r.findings) findings.push({ ...f, index: f.index + from });
  }
  return { peak, logs, findings };
}

describe('state budget of a log stream', () => {
  it('hostile slot values (every value new, 60 characters, 24 slots, thousands of templates) stay under the budget', () => {
    const ev: ScoreInput[] = [];
    for (let i = 0; i < 8_000; i++) {
      let text = `WARN ${letterWord(i % 2000 + 100)} ${letterWord((i % 2000) * 3 + 7)}`;
      for (let k = 0; k < 24; k++) text += ` ${letterWord(k)}=${unique(60)}`;
      ev.push({ ts: T0 + i * 10, text });
    }
    const { peak } = run(ev);
    expect(peak).toBeLessThan(BUDGET);
  }, 120_000);

  it('long, always new session ids stay under the budget', () => {
    const ev: ScoreInput[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 8_000; i++) {
      if (i % 2 === 0) ids.push(unique(1024));
      ev.push({ ts: T0 + i * 10, text: `INFO step ${letterWord(i % 50)} done request_id=${ids[ids.length - 1 - (i % 7) % ids.length]}` });
    }
    const { peak } = run(ev);
    expect(peak).toBeLessThan(BUDGET);
  }, 120_000);

  it('long new values in a context slot (the numbers of the template counted per context) stay under the budget', () => {
    const ev: ScoreInput[] = [];
    for (let i = 0; i < 600; i++) {
      // region is low-cardinality for 400 lines, then takes 32 KiB values (too long to be judged, so
      // it stays a context): ms and bytes would be counted per region, 64 contexts each.
      const region = i < 400 ? ['eu', 'us'][i % 2] : unique(32_768);
      ev.push({ ts: T0 + i * 10, text: `INFO served region=${region} ms=${10 + (i % 30)} bytes=${100 + (i % 50)}` });
    }
    const { logs } = run(ev);
    expect(logs).toBeLessThan(BUDGET);
  }, 120_000);

  it('10,000 templates of realistic lines stay under the budget, and a new error after the flood is still found', () => {
    const ev: ScoreInput[] = [];
    const services = ['auth', 'billing', 'cart', 'search', 'orders', 'payments', 'gateway', 'users'];
    let i = 0;
    const line = (t: number, n: number): string =>
      `2026-12-05T10:00:${String(n % 60).padStart(2, '0')}.123Z INFO ${services[t % 8]} ${letterWord(t)} ${letterWord(t * 7 + 3)} ${letterWord(t * 13 + 5)} handled GET /api/${letterWord(t % 500)}/items status=200 ms=${5 + (n * 37) % 80} user=u${(n * 7919) % 1_000_000}`;
    // The stream's ordinary traffic (20 templates), a flood of 10,000 distinct templates, the ordinary traffic again.
    for (let k = 0; k < 500; k++, i++) ev.push({ ts: T0 + i * 20, text: line(k % 20, i) });
    for (let t = 20; t < 10_020; t++, i++) ev.push({ ts: T0 + i * 20, text: line(t, i) });
    for (let k = 0; k < 1_000; k++, i++) ev.push({ ts: T0 + i * 20, text: line(k % 20, i) });
    const at = ev.length;
    ev.push({ ts: T0 + i * 20, text: '2026-12-05T10:05:00.000Z ERROR payments ledger write rejected: constraint violation on account balance, transaction rolled back' });
    for (let k = 0; k < 100; k++, i++) ev.push({ ts: T0 + (i + 1) * 20, text: line(k % 20, i) });
    const { peak, findings } = run(ev);
    expect(peak).toBeLessThan(BUDGET);
    expect(findings.some((f) => f.index === at)).toBe(true);
  }, 300_000);

  it('evictions by bytes do not depend on how the stream is split into tasks (the bytes are a function of the state)', () => {
    const ev: ScoreInput[] = [];
    for (let i = 0; i < 5_000; i++) {
      let text = `WARN ${letterWord(i % 1500 + 100)} ${letterWord((i % 1500) * 3 + 7)}`;
      for (let k = 0; k < 24; k++) text += ` ${letterWord(k)}=${unique(60)}`;
      ev.push({ ts: T0 + i * 10, text });
    }
    const whole = scoreLogs(null, ev, undefined);
    // No stream key: every task parses the state it is given, as after a restart or on another thread.
    const { findings, state } = logsInTasks(ev, 700);
    const templates = (JSON.parse(Buffer.from(whole.state).toString('utf8')) as { m: { t: unknown[] } }).m.t.length;
    expect(templates).toBeLessThan(1500);
    expect(Buffer.from(state).equals(Buffer.from(whole.state))).toBe(true);
    expect(findings).toEqual(whole.findings);
  }, 300_000);
});
