// A scan's breadth against the slot's own history (workers/detectors/logs-breadth.ts via
// logs-repeat.ts): sources usually knock on 1-4 ports each, so one source's lines within 10 s
// usually show 1-2 ports; a source knocking on 12 different ports in 6 s is far broader than that,
// and is reported though the template's earlier value bursts reached 4 lines of one source (the
// peak the count alone is judged against: 12 against 4 is no Poisson surprise at p 1e-4). Fails
// on the code before branch edge22 (the scan's first finding came at 15-16 lines of its source).
// A host's routine burst of the same breadth as its earlier ones stays unreported.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { drop, knocks, T0 } from './firewall-lines.js';

const PORTS = [23, 22, 445, 3389, 80, 8080, 443, 1433, 3306, 6379, 2323, 8443, 5900, 9200];

/** Internet background noise: a source every ~4 s knocking 1-4 ports (mostly the first few), 0.2-9 s apart. */
function noise(seconds: number, seed: number): ScoreInput[] {
  return knocks(seeded(seed), seconds, (r) => PORTS[Math.min(PORTS.length - 1, Math.floor(-Math.log(1 - r.next()) * 3))]);
}

const scanOf = (src: string, at: number, n: number, seed: number): ScoreInput[] => {
  const r = seeded(seed);
  return Array.from({ length: n }, (_, j) => ({ ts: at + j * 500, text: drop(r, src, r.int(1, 65_535), 47_000 + seed) }));
};

describe('scan breadth against the slot\'s own history', () => {
  it('a source knocking on 12 different ports in 6 s is reported', () => {
    const src = '185.197.178.168';
    const all = [...noise(3600, 5), ...scanOf(src, T0 + 3_000_000 + 1_000, 12, 7)].sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', all, 100);
    const burst = findings.filter((f) => f.detector === 'value_burst');
    expect(burst.filter((f) => all[f.index].text?.includes(src)).length).toBeGreaterThan(0);
    expect(burst.filter((f) => !all[f.index].text?.includes(src))).toEqual([]);
  });

  it('the same stream without a scan has no value burst', () => {
    const ev = noise(3600, 6).sort((a, b) => a.ts - b.ts);
    expect(runStream('logs', ev, 100).findings.filter((f) => f.detector === 'value_burst')).toEqual([]);
  });
});
