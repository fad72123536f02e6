// A categorical slot of numbers (fields.ts beyondRange): Redis's "Fork CoW for RDB: current 4 MB"
// takes a dozen values (2-12 MB), too few to be judged as numbers, so a copy-on-write of 191 MB
// was only an unseen category, judged from 500 sightings (db 201-210: 10 unusual values missed).
// Fails before the rule: no finding on the 191 MB line.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 7, 22, 21, 0, 0);
const stamp = (t: number): string => { const x = new Date(t); return `${String(x.getUTCDate()).padStart(2, '0')} Aug 2026 ${x.toISOString().slice(11, 23)}`; };

function stream(big: boolean): { ev: ScoreInput[]; at: number } {
  const r = seeded(41);
  const ev: ScoreInput[] = [];
  for (let t = T0; t < T0 + 3 * 3_600_000; t += 5_000 + r.int(0, 15_000)) {
    const ip = `10.20.${r.int(3, 5)}.${r.int(10, 250)}:${r.int(32768, 60999)}`;
    ev.push({ ts: t, text: `1:M ${stamp(t)} - Accepted ${ip}` });
  }
  let k = 0;
  for (let t = T0 + 60_000; t < T0 + 3 * 3_600_000; t += 300_000) {
    const child = r.int(1000, 60_000);
    const cow = big && k === 30 ? 191 : r.int(2, 12);
    ev.push({ ts: t, text: `1:M ${stamp(t)} * 100 changes in 300 seconds. Saving...` });
    ev.push({ ts: t + 900, text: `${child}:C ${stamp(t + 900)} * DB saved on disk` });
    ev.push({ ts: t + 901, text: `${child}:C ${stamp(t + 901)} * Fork CoW for RDB: current ${cow} MB, peak ${cow + r.int(0, 2)} MB, average ${Math.max(1, Math.round(cow * 0.6))} MB` });
    k++;
  }
  ev.sort((a, b) => a.ts - b.ts);
  return { ev, at: ev.findIndex((e) => (e.text ?? '').includes('current 191 MB')) };
}

describe('a slot of a dozen small numbers', () => {
  it('reports a value 16 times its largest', () => {
    const { ev, at } = stream(true);
    expect(at).toBeGreaterThan(0);
    const f = runStream('logs', ev, 100).findings.filter((x) => x.index === at && x.detector === 'template_slot');
    expect(f.length).toBeGreaterThan(0);
  });

  it('and none of its usual values', () => {
    const { ev } = stream(false);
    expect(runStream('logs', ev, 100).findings.filter((x) => (ev[x.index].text ?? '').includes('Fork CoW'))).toEqual([]);
  });
});
