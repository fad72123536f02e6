// A slot that holds the date (an ISO date in a line prefix, a day of month beside a month name)
// takes a value never seen when the clock passes midnight: that is the calendar, not news
// (logs-values.ts: calendarValue). db generator: every PostgreSQL and Redis template reported
// "value "2026-08-25" never seen in 1,486 sightings" on its first line after midnight. A new
// value of an ordinary low-cardinality slot is still reported. Fails before the change (branch
// db12): the lines after midnight were reported.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const MIDNIGHT = Date.UTC(2026, 7, 23);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 1,000 lines a second apart, the last 300 after midnight; `style` decides how the date is written. */
function lines(style: 'iso' | 'redis', edits: Record<number, string> = {}): ScoreInput[] {
  const r = seeded(7);
  const out: ScoreInput[] = [];
  for (let i = 0; i < 1000; i++) {
    const ts = MIDNIGHT - 700_000 + i * 1000;
    const d = new Date(ts);
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(r.int(0, 999), 3)}`;
    const user = edits[i] ?? r.pick(['app', 'app', 'worker', 'report']);
    const text = style === 'iso'
      ? `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${time} UTC [${r.int(1000, 99_999)}]: LOG:  connection authorized: user=${user} database=shop`
      : `1:M ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${time} - Accepted 10.20.${r.int(3, 5)}.${r.int(2, 250)}:${r.int(32768, 60999)} user ${user}`;
    out.push({ ts, text });
  }
  return out;
}

describe('a slot holding the date (logs-values.ts)', () => {
  for (const style of ['iso', 'redis'] as const) {
    it(`${style}: passing midnight is not an unseen value; a new user still is`, () => {
      const slot = (edits: Record<number, string>): string[] =>
        runStream('logs', lines(style, edits), 100).findings.filter((f) => f.detector === 'template_slot').map((f) => `${f.index}: ${f.explanation}`);
      expect(slot({})).toEqual([]);
      const found = slot({ 900: 'intruder' });
      expect(found.length).toBe(1);
      expect(found[0]).toMatch(/^900: .*value "intruder" never seen/);
    });
  }
});
