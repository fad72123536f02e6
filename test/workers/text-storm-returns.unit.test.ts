// A message that first came as its own storm (workers/detectors/text-quarantine.ts, recur) and
// returns alone afterwards (the edge generator's SYN-flood warnings of even seeds). The first test
// fails before branch edge15: lone returns every 600-900 lines, without a severity word, were
// judged at the mild horizon (common at about 3.2 recent incidents) and admitted after the third or
// fourth, so the later ones were silent; a stormed message's lone returns are now judged at the
// severe horizon (rareHorizonSevere). The second fails before edge15 too: a storm whose warnings
// paused while another flood filled the stream (more than incidentGap events, a few seconds) was
// cut in two incidents, the second a run of the pattern again, which made it the stream's texture
// and its lone returns afterwards silent; the storm now goes on while its lines keep within
// incidentGap of the stream's usual intervals. The third holds on both: a pattern that was never a
// storm and comes back every 600-900 lines becomes common (admitted) as before.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { normal, pushStorm as storm, SYN, T0 } from './storm-lines.js';

/** The stream's lines from `i` to the end, one a second, with a lone warning every `lo`-`hi` lines (their indices to `lone`). */
function returns(ev: ScoreInput[], lines: readonly string[], i: number, lo: number, hi: number, lone: Set<number>, text = SYN): void {
  const r = seeded(7);
  let next = i + r.int(lo, hi);
  for (; i < lines.length; i++) {
    if (i === next) {
      next += r.int(lo, hi);
      lone.add(ev.length);
      ev.push({ ts: T0 + i * 1000 - 500, text: text([443, 25, 1194][i % 3]) });
    }
    ev.push({ ts: T0 + i * 1000, text: lines[i] });
  }
}

describe('a stormed message returning alone', () => {
  it('its lone returns every 600-900 lines are each reported (judged as a severe message\'s)', () => {
    const lines = normal(9000, 1);
    const ev: ScoreInput[] = lines.slice(0, 1000).map((text, i) => ({ ts: T0 + i * 1000, text }));
    const i = storm(ev, lines, 1000, 40);
    const lone = new Set<number>();
    returns(ev, lines, i, 600, 900, lone);
    expect(lone.size).toBeGreaterThan(8);
    const { findings } = runStream('logs', ev, 100);
    const hit = new Set(findings.filter((f) => lone.has(f.index)).map((f) => f.index));
    expect(hit.size).toBe(lone.size);
  });

  it('a storm that pauses while another flood fills the stream is one storm: its lone returns are reported', () => {
    const lines = normal(12_000, 1);
    const ev: ScoreInput[] = lines.slice(0, 1000).map((text, i) => ({ ts: T0 + i * 1000, text }));
    let i = storm(ev, lines, 1000, 30);
    // 60 lines of another flood in 3 seconds (a scan's drops), then the warnings again.
    for (let j = 0; j < 60; j++) ev.push({ ts: T0 + i * 1000 + j * 50, text: `kernel: DROP IN=eth0 SRC=203.0.113.9 DPT=${1000 + 37 * j}` });
    i = storm(ev, lines, i + 3, 30);
    const lone = new Set<number>();
    returns(ev, lines, i, 1500, 2500, lone);
    expect(lone.size).toBeGreaterThan(3);
    const { findings } = runStream('logs', ev, 100);
    const hit = new Set(findings.filter((f) => lone.has(f.index)).map((f) => f.index));
    expect(hit.size).toBe(lone.size);
  });

  it('a message that never stormed, returning every 600-900 lines, becomes common as before', () => {
    const lines = normal(9000, 1);
    const ev: ScoreInput[] = [];
    const lone = new Set<number>();
    returns(ev, lines, 0, 600, 900, lone, (p) => `NOTICE cache evicted ${p} cold entries from the edge tier`);
    const { findings } = runStream('logs', ev, 100);
    const hit = findings.filter((f) => lone.has(f.index) && f.detector === 'compression_surprise');
    expect(hit.length).toBeGreaterThan(0);
    expect(hit.length).toBeLessThan(lone.size / 2);
  });
});
