// A stream's first hour shows its routine failures (text-quarantine.ts, TEXT_PARAMS.habitMs): a
// severe pattern's first line is reported, its lone returns within the stream's first hour are
// counted, not reported; a burst of it in that hour is still reported line by line.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { TEXT_PARAMS } from '../../workers/detectors/text.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const KEX = 'error: kex_exchange_identification: Connection closed by remote host';
/** An RFC 3164-like header (priority, time, host, process[pid]). */
const head = (t: number, pid: number): string => `<38>${new Date(T0 + t).toISOString().slice(0, 19)} bastion-01 sshd[${pid}]: `;

/** Ordinary sshd lines every 2 s for 50 minutes; the handshake error at `at` (minutes, with a fraction for a burst's lines). */
function bastion(at: number[]): ScoreInput[] {
  const r = seeded(5);
  const out: ScoreInput[] = [];
  const errs = [...at].sort((a, b) => a - b);
  for (let t = 0; t < 50 * MIN; t += 2000) {
    while (errs.length > 0 && errs[0] * MIN <= t) {
      const te = Math.round((errs.shift() as number) * MIN) + 1;
      out.push({ ts: T0 + te, text: head(te, r.int(1000, 99_999)) + KEX });
    }
    out.push({ ts: T0 + t, text: head(t, r.int(1000, 99_999)) + `Invalid user ${r.pick(['admin', 'test', 'oracle', 'ubuntu', 'git'])} from 203.0.${r.int(0, 255)}.${r.int(1, 254)} port ${r.int(1024, 65535)}` });
  }
  return out;
}

const flaggedErrors = (ev: ScoreInput[]): number[] => {
  const { findings } = runStream('logs', ev, 200);
  return [...new Set(findings.filter((f) => f.detector === 'compression_surprise' && ev[f.index].text.endsWith(KEX)).map((f) => f.index))];
};

describe('a severe pattern in a stream\'s first hour', () => {
  it('reports its first line, not its lone returns', () => {
    expect(TEXT_PARAMS.habitMs).toBe(60 * MIN);
    const ev = bastion([10, 16, 21, 27, 33, 38, 44]);
    const first = ev.findIndex((e) => e.text.endsWith(KEX));
    expect(flaggedErrors(ev)).toEqual([first]);
  });

  it('still reports a burst of it line by line', () => {
    const burst = Array.from({ length: 12 }, (_, j) => 30 + j / 60);
    const ev = bastion([10, 16, ...burst]);
    const lines = flaggedErrors(ev);
    expect(lines.length).toBeGreaterThan(8);
  });
});
