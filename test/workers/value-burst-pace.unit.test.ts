// The pace of a value burst (workers/detectors/logs-repeat-time.ts via logs-repeat.ts): a source
// new to the stream that knocks on a different port with each of its lines, many within a second,
// is a scan from its first 6-9 lines. The first test fails on the rule before branch edge19 (the
// count in 10 s against the template's peak of 4-5 needed 14-17 lines). The second and third hold
// the pace test's gates: a source the stream already knows (a busy peer), and a new source that
// knocks on one port again and again (a client retransmitting), are no scan at that pace; each
// fails with its gate removed.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { drop, ip, T0 } from './firewall-lines.js';

const PORTS = [23, 22, 445, 3389, 80, 8080, 443, 5060, 1433, 3306, 6379, 2323, 8443, 5900, 9200, 81];

/** Internet background: a source every 0.5-7 s knocking 1-4 common ports 0.2-9 s apart, and DNS replies to the LAN between. */
function background(seconds: number, seed: number): ScoreInput[] {
  const r = seeded(seed);
  const out: ScoreInput[] = [];
  for (let t = T0; t < T0 + seconds * 1000; t += r.int(500, 7000)) {
    const src = ip(r);
    let ts = t;
    for (let k = r.int(1, 4); k > 0; k--) {
      out.push({ ts, text: drop(r, src, PORTS[Math.min(PORTS.length - 1, Math.floor(-5 * Math.log(1 - r.next())))]) });
      ts += r.int(200, 9000);
    }
  }
  for (let t = T0; t < T0 + seconds * 1000; t += r.int(100, 2000)) out.push({ ts: t, text: `unbound: [1187:0] info: 10.20.${r.int(0, 3)}.${r.int(2, 250)} www.example.com. A IN NOERROR 0.000000 1 ${r.int(45, 190)}` });
  return out;
}

/** `n` knocks of `src` from one source port, `gap` ms apart from `at`, on the ports `port(j)`. */
const knocks = (seed: number, src: string, at: number, n: number, gap: number, port: (j: number) => number): ScoreInput[] => {
  const r = seeded(seed);
  return Array.from({ length: n }, (_, j) => ({ ts: at + j * gap, text: drop(r, src, port(j), 42_101) }));
};

const valueBursts = (all: ScoreInput[], src: string): { index: number; explanation: string }[] =>
  runStream('logs', all, 100).findings.filter((f) => f.detector === 'value_burst' && all[f.index].text?.includes(`SRC=${src} `));

describe('the pace of a value burst (logs-repeat-time.ts)', () => {
  it('a new source knocking 60 ports 150 ms apart is reported within its first 9 lines, by its pace', () => {
    const src = '185.197.178.168';
    const at = T0 + 3_000_000 + 7_000;
    const all = [...background(3600, 1), ...knocks(9, src, at, 60, 150, (j) => 10_000 + 7 * j)].sort((a, b) => a.ts - b.ts);
    const burst = valueBursts(all, src);
    expect(burst.length).toBeGreaterThan(40);
    const first = Math.min(...burst.map((f) => f.index));
    expect(all.slice(0, first).filter((e) => e.text?.includes(`SRC=${src} `)).length).toBeLessThan(9);
    expect(burst[0].explanation).toMatch(/of them within \d+ ms, from a value new to the stream, each with a value of its own in another slot \(a scan's pace\)/);
  });

  it('a source the stream knows (it knocked 10 minutes before) sending 9 knocks to 9 ports within a second is not reported', () => {
    const src = '91.200.1.6';
    const at = T0 + 3_000_000 + 7_000;
    const before = knocks(3, src, at - 600_000, 2, 3000, (j) => PORTS[j]);
    const all = [...background(3600, 2), ...before, ...knocks(4, src, at, 9, 110, (j) => 10_000 + 7 * j)].sort((a, b) => a.ts - b.ts);
    expect(valueBursts(all, src)).toEqual([]);
  });

  it('a new source knocking one port 12 times within a second (a retransmitting client) is not reported', () => {
    const src = '62.137.241.130';
    const at = T0 + 3_000_000 + 7_000;
    const all = [...background(3600, 3), ...knocks(5, src, at, 12, 80, () => 3389)].sort((a, b) => a.ts - b.ts);
    expect(valueBursts(all, src)).toEqual([]);
  });
});
