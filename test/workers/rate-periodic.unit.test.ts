// The logs detector's rate findings for bursts that recur on a schedule (rate-period.ts) and for a
// burst of a template that makes up most of its stream (the stream share test, rate.ts):
//   a monitoring check that sends the same lines every 5 minutes is reported a few times, then
//   learned as normal; the same check grown to several times its size is reported again; a retry
//   storm recurring at irregular times is reported every time; a storm of the stream's dominant
//   template (a port scan in a firewall log) is reported although the stream's count rises with it.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

/** A stream over `minutes`: a dominant template (1-`clump` lines per source within seconds), an infrequent one. */
function background(minutes: number, seed: number, clump = 4): ScoreInput[] {
  const r = seeded(seed);
  const out: ScoreInput[] = [];
  for (let t = T0; t < T0 + minutes * MIN; t += Math.round(-Math.log(1 - r.next()) * 2_000 * (1 + clump) / 2)) {
    let ts = t;
    const src = `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
    for (let k = r.int(1, clump); k > 0; k--) {
      out.push({ ts, text: `kernel: DROP IN=eth0 SRC=${src} DST=198.51.100.10 PROTO=TCP SPT=${r.int(1024, 65535)} DPT=${r.pick([22, 23, 80, 443, 3389, 8080])}` });
      ts += r.int(200, 9000);
    }
    if (r.chance(0.05)) out.push({ ts: t + 17, text: `WARN vpn client ${r.hex(6)} ping-restart, restarting` });
  }
  return out;
}

/** `n` lines of the dominant template from one source, `gap` ms apart, from `at`. */
const storm = (at: number, n: number, gap: number, src: string): ScoreInput[] => Array.from({ length: n }, (_, j) => ({ ts: at + j * gap, text: `kernel: DROP IN=eth0 SRC=${src} DST=198.51.100.10 PROTO=TCP SPT=51515 DPT=${1000 + j * 37}` }));

/** A check: `n` lines of the dominant template within a fraction of a second, at `at`. */
const check = (at: number, n: number, tag: string): ScoreInput[] => Array.from({ length: n }, (_, j) => ({ ts: at + j * 20, text: `kernel: DROP IN=eth0 SRC=10.20.0.5 DST=198.51.100.10 PROTO=TCP SPT=4${tag}${j % 10} DPT=${[22, 23, 80, 443, 3389, 8080][j % 6]}` }));

const sorted = (ev: ScoreInput[]): ScoreInput[] => ev.sort((a, b) => a.ts - b.ts);
const rateAt = (ev: ScoreInput[], from: number, to: number): number => {
  const { findings } = runStream('logs', ev, 100);
  return findings.filter((f) => f.detector === 'template_rate' && ev[f.index].ts >= from && ev[f.index].ts < to).length;
};

describe('logs rate: bursts on a schedule', () => {
  it('a burst every 5 minutes is reported the first times and then learned as normal', () => {
    // Lone lines about every 2 s (as a resolver's replies): the check's 12 lines in 0.2 s stand out.
    const ev = background(180, 1, 1);
    const first = T0 + 20 * MIN + 1234;
    for (let k = 0; k < 30; k++) ev.push(...check(first + k * 5 * MIN, 12, String(k % 10)));
    sorted(ev);
    const { findings } = runStream('logs', ev, 100);
    const at = (f: { index: number }): number => Math.floor((ev[f.index].ts - first) / (5 * MIN));
    const rate = findings.filter((f) => f.detector === 'template_rate' && ev[f.index].text?.includes('10.20.0.5'));
    // The check is a burst at first (the rate test finds it)…
    expect(rate.filter((f) => at(f) < 3).length).toBeGreaterThan(0);
    // …and not after a few repetitions at its period.
    expect(rate.filter((f) => at(f) >= 5)).toEqual([]);
  });

  it('the scheduled burst grown to several times its usual size is reported again', () => {
    const ev = background(120, 2, 1);
    const first = T0 + 20 * MIN + 777;
    for (let k = 0; k < 18; k++) ev.push(...check(first + k * 5 * MIN, k === 15 ? 60 : 12, String(k % 10)));
    sorted(ev);
    const at15 = first + 15 * 5 * MIN;
    expect(rateAt(ev, at15, at15 + 10_000)).toBeGreaterThan(0);
  });

  it('a storm of an infrequent line that recurs at irregular times is reported every time', () => {
    const ev = background(150, 3);
    const times = [25, 32, 51, 58, 83, 97, 121, 133].map((m) => T0 + m * MIN + 4321);
    for (const [k, t] of times.entries()) for (let j = 0; j < 20; j++) ev.push({ ts: t + j * 250, text: `WARN vpn client s${k}x${j} ping-restart, restarting` });
    sorted(ev);
    const { findings } = runStream('logs', ev, 100);
    for (const t of times) {
      expect(findings.filter((f) => f.detector === 'template_rate' && ev[f.index].ts >= t && ev[f.index].ts < t + 6000).length).toBeGreaterThan(0);
    }
  });
});

describe('logs rate: a burst of the stream\'s dominant template', () => {
  it('a port scan (one source, 80 lines in 8 s) in a firewall log is reported for most of its lines', () => {
    const ev = background(60, 4);
    const at = T0 + 40 * MIN + 555;
    ev.push(...storm(at, 80, 100, '203.0.113.9'));
    sorted(ev);
    const { findings } = runStream('logs', ev, 100);
    const hit = new Set(findings.filter((f) => f.detector === 'template_rate' && ev[f.index].text?.includes('203.0.113.9')).map((f) => f.index));
    expect(hit.size).toBeGreaterThanOrEqual(50);
  });
});
