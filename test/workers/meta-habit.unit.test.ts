// A metadata value of a job on a schedule (logs-values.ts, TEXT_PARAMS.habitMs): while the stream is
// younger than an hour of event time (and 1,500 lines), a value seen once or twice before is a schedule not yet
// learnt, not a rare one; a value never seen is still reported from the field's first sightings.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

/** An API's request lines every 2 s for `hours`, a sweeper's line every 15 minutes (from minute 7), and one kernel line at minute 40. */
function hostStream(hours: number): ScoreInput[] {
  const r = seeded(11);
  const out: ScoreInput[] = [];
  for (let t = 0; t < hours * 60 * MIN; t += 2000) {
    out.push({ ts: T0 + t, text: `api request path=/v1/items/${r.int(1, 9999)} status=200 dur_ms=${r.int(5, 90)} user=u${r.hex(6)}`, metadata: { appname: 'api', severity: 'info' } });
    if (t % (15 * MIN) === 7 * MIN) out.push({ ts: T0 + t + 1, text: `sweep done expired_sessions=${r.int(0, 400)} took=${r.int(1, 3)}.${r.int(10, 99)}s`, metadata: { appname: 'sweeper', severity: 'info' } });
    if (t === 40 * MIN) out.push({ ts: T0 + t + 2, text: 'nfs: server nas-01 not responding, timed out', metadata: { appname: 'kernel', severity: 'warning' } });
  }
  return out;
}

describe('metadata values of a young stream', () => {
  it('does not call a job on a 15-minute schedule rare in the stream\'s first hour; a never-seen value is reported', () => {
    const ev = hostStream(3);
    const { findings } = runStream('logs', ev, 250);
    const meta = findings.filter((f) => f.detector === 'metadata_field');
    const sweeper = meta.filter((f) => ev[f.index].metadata?.appname === 'sweeper');
    // Its first run is a never-seen appname (7 minutes and 210 lines in); its returns are its habit.
    expect(sweeper.filter((f) => /seen only/.test(f.explanation))).toEqual([]);
    const kernel = meta.filter((f) => ev[f.index].metadata?.appname === 'kernel');
    expect(kernel.length).toBeGreaterThan(0);
    expect(kernel[0].explanation).toMatch(/value "(kernel|warning)" never seen/);
  });
});
