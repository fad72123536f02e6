// Several numbers in one token (field-parts.ts): HAProxy writes its timers as one word,
// Tq/Tw/Tc/Tr/Ta = "0/0/1/45/46". As a whole the word is new on nearly every line (an id-like
// slot, never judged); each number is judged as a number of its own, in its line's context (the
// backend): 30× the admin backend's response time is news, the reports backend's usual 1.4 s is not.
import { describe, expect, it } from 'vitest';
import { seeded, type Random } from '../../src/tools/eval/generators/random.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { numberParts } from '../../workers/detectors/field-parts.js';

const T0 = 1_760_000_000_000;
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const around = (r: Random, median: number, spread: number): number => median * Math.exp(spread * (r.next() + r.next() + r.next() - 1.5) * 2);

/** One HAProxy HTTP log line; `tr` the server's response time in ms. */
function haproxy(r: Random, ts: number, backend: string, tr: number, path: string): string {
  const d = new Date(ts);
  const conns = r.int(8, 60);
  return `haproxy[2113]: ${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}:${r.int(1024, 65535)} [${pad(d.getUTCDate())}/Dec/2026:${d.toISOString().slice(11, 23)}] fe_https~ ${backend}/${backend.slice(3)}-${r.int(1, 3)} 0/0/${r.int(0, 2)}/${tr}/${tr + r.int(0, 3)} 200 ${r.int(300, 90_000)} - - ---- ${conns}/${conns}/${r.int(1, conns)}/${r.int(0, 9)}/0 0/0 "${path} HTTP/1.1"`;
}

/** n lines 200 ms apart: 80% the admin backend (~45 ms), 20% reports (~1.4 s); `edits`: index → [backend, tr]. */
function stream(n: number, edits: Record<number, [string, number]>): ScoreInput[] {
  const r = seeded(7);
  const out: ScoreInput[] = [];
  for (let i = 0; i < n; i++) {
    const admin = r.next() < 0.8;
    let [backend, tr] = admin ? ['be_admin', Math.round(around(r, 45, 0.3))] : ['be_reports', Math.round(around(r, 1400, 0.3))];
    const e = edits[i];
    if (e !== undefined) [backend, tr] = e;
    out.push({ ts: T0 + i * 200, text: haproxy(r, T0 + i * 200, backend, tr, backend === 'be_admin' ? `GET /admin/orders?page=${r.int(1, 40)}` : `GET /reports/daily.csv?day=2026-11-${pad(r.int(1, 30))}`) });
  }
  return out;
}

const values = (findings: Finding[], i: number): Finding[] => findings.filter((f) => f.index === i && f.detector === 'template_slot');

describe('numbers in one token (field-parts.ts)', () => {
  it('splits a token of 2..8 plain numbers joined by "/", and nothing else', () => {
    const out: string[] = [];
    expect(numberParts('0/0/1/45/46', out)).toBe(5);
    expect(out.slice(0, 5)).toEqual(['0', '0', '1', '45', '46']);
    expect(numberParts('-1/0.25', out)).toBe(2);
    expect(out.slice(0, 2)).toEqual(['-1', '0.25']);
    for (const v of ['be_admin/admin-2', '1/', '/5', '12', '1//2', '1/2/3/4/5/6/7/8/9', '1.2.3/4', 'a/1', '-/1']) expect(numberParts(v, out)).toBe(0);
  });

  it("30× the admin backend's response time is reported; the reports backend's usual time is not, nor any ordinary line", () => {
    const at = 6000;
    const reports = 6200;
    const events = stream(7000, { [at]: ['be_admin', 1350], [reports]: ['be_reports', 1400] });
    const { findings } = runStream('logs', events, 100);
    const slow = values(findings, at);
    expect(slow.map((f) => f.details.kind)).toContain('numeric_outlier');
    expect(slow.map((f) => f.explanation).join(' ')).toMatch(/Number [45] of 5 in slot at word \d+ .*value 135\d is \d+\.\d× its typical/);
    expect(values(findings, reports)).toEqual([]);
    const ordinary = findings.filter((f) => f.index >= 1500 && f.index !== at && f.detector === 'template_slot');
    expect(ordinary.map((f) => `${f.index}: ${f.explanation}`)).toEqual([]);
  });
});
