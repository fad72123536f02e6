// The silence of a slow stream (SILENCE_PARAMS.streamMinMean): a Redis-like log at about 0.07
// lines/s (0.7 per 10 s window) that stops for 20 minutes is reported at the first line after the
// gap; at minMean 1 line per window (main) such a stream was never judged. The same stream with
// its ordinary gaps only (a few minutes at most) is not.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 7, 27, 1);

function stream(gapMs: number): { ev: ScoreInput[]; after: number } {
  const r = seeded(9);
  const ev: ScoreInput[] = [];
  let t = T0;
  let after = -1;
  for (let i = 0; i < 900; i++) {
    t += Math.round(-Math.log(1 - r.next()) * 14_000);
    if (i === 600) {
      t += gapMs;
      after = ev.length;
    }
    const x = new Date(t);
    ev.push({ ts: t, text: `1:M ${x.getUTCDate()} Aug 2026 ${x.toISOString().slice(11, 23)} - Accepted 10.20.${r.int(3, 5)}.${r.int(10, 250)}:${r.int(32768, 60999)}` });
  }
  return { ev, after };
}

describe('a slow stream that stops', () => {
  it('is reported silent at the first line after a 20-minute gap', () => {
    const { ev, after } = stream(20 * 60_000);
    const { findings } = runStream('logs', ev, 100);
    const s = findings.filter((f) => f.detector === 'silence');
    expect(s.map((f) => f.index)).toEqual([after]);
    expect(s[0].explanation).toMatch(/The stream has been silent for [\d.]+ s of event time; it usually sends 0\.0\d+ lines per second/);
  });

  it('is not, with its ordinary gaps only', () => {
    const { ev } = stream(0);
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.detector === 'silence')).toEqual([]);
  });
});
