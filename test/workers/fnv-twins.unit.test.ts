// The FNV-1a loops logs-repeat.ts (its ring's keys, kept in LogsState.hq) and mix.ts (a line's
// shape in the template mix, kept in TextState.mix) wrote out are fnv.ts's now: the same hashes,
// bit for bit, as the loops they replace (written out here as they were), so states saved before
// read the same.
import { describe, expect, it } from 'vitest';
import { keyOf } from '../../workers/detectors/logs-repeat.js';
import { shapeHash } from '../../workers/detectors/mix.js';

function oldKeyOf(id: number, k: number, v: string, from = 0): number {
  let h = 0x811c9dc5 ^ id;
  h = Math.imul(h, 0x01000193) ^ k;
  h = Math.imul(h, 0x01000193);
  for (let i = from; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 0x01000193);
  return (h >>> 0) & 0xff_ffff;
}

function oldShapeHash(line: string): number {
  let h = 0x811c9dc5;
  let cls = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57 && cls === 2) continue;
    cls = c === 60 ? 1 : c >= 65 && c <= 90 && cls >= 1 ? 2 : 0;
    h ^= c;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const VALUES = ['', 'a', '80.185.192.188', 'user=usr_104729', 'blk_-1608999687919862906', 'Zürich €12,50 ✓', 'ид=42', '\u0000\uffff'];
const LINES = ['GET /api/v1/invoices/<N5> <N3> <N2>.<N3>', '<H16> <H8> worker <N4> done', 'plain words only', '', '<<N3>> <A> <BB9>9 x<N1>'];

describe('FNV-1a from fnv.ts where the loops were written out', () => {
  it('logs-repeat.ts keyOf: the same keys', () => {
    for (const v of VALUES) for (const id of [0, 1, 7, 4096, 2 ** 31 - 1]) for (const k of [0, 1, 2, 11]) for (const from of [0, 1, 5]) expect(keyOf(id, k, v, from)).toBe(oldKeyOf(id, k, v, from));
  });

  it('mix.ts shapeHash: the same hashes (digits of class tokens left out as before)', () => {
    for (const l of [...LINES, ...VALUES]) expect(shapeHash(l)).toBe(oldShapeHash(l));
    expect(shapeHash('<N3> ok')).toBe(shapeHash('<N4> ok'));
  });
});
