// A template position that held one word for hundreds of lines, then took another: the miner widens
// the template (the position becomes a slot), and the slot starts with the old word as a value seen.
// It counted as seen once (logs-values.ts widened), so the new word was judged against one sighting
// and never reported: a hot standby's `restartpoint complete` for hours, then `checkpoint
// complete` after its promotion (db generator, failover). The old word now counts for every line
// it held for (seedSightings): the new one is an unseen value of a low-cardinality slot (fails on
// main). A position that held its word for a few lines only is judged as before (slots.unit).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 8, 19, 4);

function stamp(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 19);
}

function stream(): { ev: ScoreInput[]; at: number } {
  const r = seeded(7);
  const ev: ScoreInput[] = [];
  let at = -1;
  for (let j = 0; j < 3000; j++) {
    const ts = T0 + j * 1000;
    const k = j % 3;
    let text: string;
    if (k === 0) {
      if (j === 2700) at = ev.length;
      text = `${stamp(ts)} UTC worker-${r.int(1, 9)} ${j === 2700 ? 'checkpoint' : 'restartpoint'} complete: wrote ${r.int(100, 9000)} buffers`;
    } else if (k === 1) text = `${stamp(ts)} UTC worker-${r.int(1, 9)} session opened for user ${r.pick(['ana', 'ben', 'chen'])} from 10.0.${r.int(0, 9)}.${r.int(1, 250)}`;
    else text = `${stamp(ts)} UTC worker-${r.int(1, 9)} request served in ${r.int(5, 90)} ms`;
    ev.push({ ts, text });
  }
  return { ev, at };
}

describe('a word that held a template position for hundreds of lines', () => {
  it('is a habit the new word breaks: the widened slot reports the new word as unseen (fails on main)', () => {
    const { ev, at } = stream();
    const { findings } = runStream('logs', ev, 100);
    const slot = findings.filter((f) => f.index === at && f.detector === 'template_slot');
    expect(slot.length).toBe(1);
    expect(slot[0].explanation).toMatch(/"checkpoint" never seen/);
    expect(slot[0].explanation).toMatch(/restartpoint/);
  }, 60_000);
});
