// A numeric slot with two modes in one template and context (field-modes.ts commonLevel): an OCI
// registry logs manifest reads (2-7 KB) and blob downloads (3-270 MB) with the same template,
// method, status and agent; the blobs are 8 % of the GETs, each 1,000-40,000× the typical size,
// and judged as one distribution every one was an outlier (ci 201-215: 395 false alarms, 43 % of
// the kind's). Once the field's far values have made a level common (levelCount of them, and
// levelShare of its numbers), a value at that level is usual for its own mode and not reported.
// Still reported: a value far beyond both modes (a 40 GB answer), and a rare far level (a slot
// whose outliers are few: the number-mode test's lone slow payments are judged by knownMode).
// Fails without the rule: the blob lines after the first ones are template_slot findings.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 6, 25, 19, 0, 0);

/** n registry GETs 3-15 s apart, 8 % blobs; line `at` (when given) answers `bytes`. */
function registry(n: number, at = -1, bytes = 0): { ev: ScoreInput[]; blobs: number[] } {
  const r = seeded(31);
  const ev: ScoreInput[] = [];
  const blobs: number[] = [];
  let t = T0;
  for (let i = 0; i < n; i++, t += r.int(3000, 15_000)) {
    const blob = r.chance(0.08);
    if (blob) blobs.push(i);
    const repo = r.pick(['base/node', 'base/golang', 'base/python', 'acme/cart', 'acme/ledger']);
    const uri = blob ? `/v2/${repo}/blobs/sha256:${r.hex(64)}` : `/v2/${repo}/manifests/v${r.int(1, 9)}.${r.int(0, 30)}`;
    let written = blob ? Math.round(3e6 * Math.exp(r.next() * 4.5)) : r.int(2000, 7000);
    if (i === at) written = bytes;
    ev.push({ ts: t, text: JSON.stringify({ time: new Date(t).toISOString(), level: 'info', msg: 'response completed', 'http.request.method': 'GET', 'http.request.uri': uri, 'http.request.remoteaddr': `10.20.5.${r.int(11, 23)}`, 'http.response.status': 200, 'http.response.written': written, 'http.response.duration': `${(r.int(20, 2500) / 10).toFixed(1)}ms`, 'auth.user.name': 'ci-runner' }) });
  }
  return { ev, blobs };
}

const writtenLines = (ev: ScoreInput[]): number[] =>
  runStream('logs', ev, 100).findings.filter((f) => f.detector === 'template_slot' && f.explanation.includes('http.response.written')).map((f) => f.index);

describe('a common far level of a numeric slot (field-modes.ts commonLevel)', () => {
  it('does not report the blob downloads of a registry once their level is common', () => {
    const { ev, blobs } = registry(3000);
    const late = new Set(blobs.filter((i) => i >= 1000));
    expect(late.size).toBeGreaterThan(100);
    expect(writtenLines(ev).filter((i) => late.has(i))).toHaveLength(0);
  });

  it('still reports a value far beyond both modes', () => {
    const { ev } = registry(3000, 2500, 40e9);
    expect(writtenLines(ev)).toContain(2500);
  });
});
