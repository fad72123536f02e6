// A never-seen template after a settled vocabulary (logs-news.ts): a MySQL-like error log that has
// shown no new kind of line for an hour reports the line that opens one, though its compression
// cost is no higher than the stream's other novel lines' (fails on main: no finding on it); a
// stream whose vocabulary keeps growing (a new kind of line every few minutes) does not.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 7, 22, 21);
const stamp = (t: number): string => `${new Date(t).toISOString().slice(0, 23)}${String(t % 1000).padStart(3, '0')}Z`;
const VERBS = ['Rotated', 'Flushed', 'Compacted', 'Verified', 'Archived', 'Pruned', 'Indexed', 'Exported', 'Synced', 'Mirrored', 'Sealed', 'Scanned'];

function stream(varied: boolean): { ev: ScoreInput[]; at: number } {
  const r = seeded(5);
  const ev: ScoreInput[] = [];
  let t = T0;
  let at = -1;
  for (let i = 0; i < 400; i++) {
    t += 5_000 + r.int(0, 20_000);
    if (i === 300) {
      at = ev.length;
      ev.push({ ts: t, text: `${stamp(t)} 0 [Note] [MY-012468] [InnoDB] Transactions deadlock detected, dumping detailed information. (lock0lock.cc:6482)` });
      continue;
    }
    if (varied && i % 25 === 0) {
      ev.push({ ts: t, text: `${stamp(t)} 0 [Note] [MY-0130${String(i).padStart(2, '0')}] [Server] ${VERBS[(i / 25) % VERBS.length]} ${'segment '.repeat(i / 25 + 1)}of ${r.int(1, 99)} in ${r.int(1, 9)} s.` });
      continue;
    }
    const id = r.int(10_000, 99_000);
    ev.push({ ts: t, text: i % 7 === 0
      ? `${stamp(t)} ${id} [Warning] [MY-010055] [Server] IP address '10.20.${r.int(4, 6)}.${r.int(10, 250)}' could not be resolved: Name or service not known`
      : `${stamp(t)} ${id} [Note] [MY-010914] [Server] Aborted connection ${id} to db: 'shop' user: 'shop_app' host: '10.20.4.${r.int(10, 250)}' (Got an error reading communication packets).` });
  }
  return { ev, at };
}

describe('a never-seen template after a settled vocabulary', () => {
  it('is reported in a stream that showed no new kind of line for an hour', () => {
    const { ev, at } = stream(false);
    const { findings } = runStream('logs', ev, 100);
    const hit = findings.filter((f) => f.index === at && f.detector === 'template_novelty');
    expect(hit.length).toBe(1);
    expect(hit[0].explanation).toMatch(/after \d+ lines and \d+ min of event time in which the stream showed no new template/);
    expect(findings.filter((f) => f.detector === 'template_novelty' && f.index !== at)).toEqual([]);
    // The same findings whatever the tasks' size (the lines are counted in the state).
    const small = runStream('logs', ev, 7).findings.filter((f) => f.detector === 'template_novelty');
    expect(small).toEqual(hit);
  });

  it('is not reported where new kinds of line keep coming', () => {
    const { ev, at } = stream(true);
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.detector === 'template_novelty')).toEqual([]);
    expect(at).toBeGreaterThan(0);
  });
});
