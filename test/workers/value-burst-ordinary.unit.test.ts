// During a value burst (a port scan: one source knocking on many ports), the template's own rate
// rises with it, and before logs-repeat.ts's `ordinary` every line of the template in those
// seconds was a rate burst: the ordinary drops of other sources, knocking on 1-4 ports as always,
// were reported beside the scan (edge 201-210: 64 of 628 false alarms). The template's rate burst
// is the scanning value's: a line whose values are none of a value burst's, while that burst is
// reported, is its template's ordinary traffic, and its template and family rate findings go.
// Fails on the code before: other sources' lines in the scan's seconds had template_rate findings.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { drop, ip, T0 } from './firewall-lines.js';

const SCANNER = '185.197.178.168';

/** Internet background noise: a source every 0.3-3 s knocking 1-4 common ports, 0.2-9 s apart. */
function noise(seconds: number, seed: number): ScoreInput[] {
  const r = seeded(seed);
  const out: ScoreInput[] = [];
  for (let t = T0; t < T0 + seconds * 1000; t += r.int(300, 3000)) {
    const src = ip(r);
    let ts = t;
    for (let k = r.int(1, 4); k > 0; k--) {
      out.push({ ts, text: drop(r, src, r.pick([22, 23, 80, 443, 445, 3389, 8080, 1433])) });
      ts += r.int(200, 9000);
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

describe('a value burst carries its template\'s rate (logs-repeat.ts ordinary)', () => {
  it('other sources\' drops during a port scan are not reported; the scan is', () => {
    const ev = noise(3600, 5);
    const at = T0 + 3_000_000 + 7_000;
    const r = seeded(11);
    const scan: ScoreInput[] = Array.from({ length: 120 }, (_, j) => ({ ts: at + j * 100, text: drop(r, SCANNER, r.int(1, 65_535), 42_101) }));
    const all = [...ev, ...scan].sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', all, 100);
    const rated = findings.filter((f) => f.detector === 'template_rate' || f.detector === 'value_burst');
    const inScan = rated.filter((f) => all[f.index].text?.includes(SCANNER));
    expect(inScan.length).toBeGreaterThan(60);
    // Other sources' lines from the scan's first reported line to its end (12 s): no rate finding.
    const first = all[Math.min(...inScan.map((f) => f.index))].ts;
    const others = all.filter((e) => e.ts >= first && e.ts <= at + 12_000 && !e.text?.includes(SCANNER));
    expect(others.length).toBeGreaterThan(5);
    expect(rated.filter((f) => !all[f.index].text?.includes(SCANNER) && all[f.index].ts >= first && all[f.index].ts <= at + 12_000)).toEqual([]);
  });
});
