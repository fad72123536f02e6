// CSV log lines: their columns become the template's slots (csv-line.ts), as a JSON record's
// fields do (json-line.ts): a currency never seen or a 30× cost in a rated CDR is judged, and the
// date column, read as a date, is no news at midnight (voip generator: the CDR's date was a
// category, "2026-08-24" never seen).
import { describe, expect, it } from 'vitest';
import { csvWords } from '../../workers/detectors/csv-line.js';
import { SLOT_DETECTOR } from '../../workers/detectors/logs.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { runStream } from './helpers.js';

describe('csvWords()', () => {
  it('a CSV record as colX=value words, quotes removed, empty values as -; anything else null', () => {
    expect(csvWords('"2026-08-22 21:31:21","","1285","+37181201449",1812,1800,"ANSWERED",61.3,"USD","say ""hi""",')).toEqual([
      'colA=2026-08-22 21:31:21', 'colB=-', 'colC="1285"', 'colD=+37181201449', 'colE=1812', 'colF=1800', 'colG=ANSWERED', 'colH=61.3', 'colI=USD', 'colJ=say "hi"', 'colK=-',
    ]);
    expect(csvWords('1,0,3,17,2')).toEqual(['colA=1', 'colB=0', 'colC=3', 'colD=17', 'colE=2']);
    // Prose with commas, a JSON object, too few columns, an open quote, bare words without a quoted field: not CSV.
    expect(csvWords("app_dial.c: Everyone is busy/congested at this time (1:0/0/1), channel 'SIP/1285', status BUSY")).toBeNull();
    expect(csvWords('{"a":1,"b":2,"c":3,"d":4,"e":5}')).toBeNull();
    expect(csvWords('"a","b",3,4')).toBeNull();
    expect(csvWords('"a,"b",3,4,5')).toBeNull();
    expect(csvWords('level=info,a,b,c,d')).toBeNull();
  });
});

describe('a CSV log stream (rated call records)', () => {
  const r = seeded(7);
  const t0 = Date.UTC(2026, 7, 22, 22, 0, 0);
  const stamp = (ts: number): string => new Date(ts).toISOString().slice(0, 19).replace('T', ' ');
  const row = (ts: number, currency: string, cost: number): string => {
    const billsec = r.int(20, 300);
    return `"${stamp(ts - billsec * 1000)}","${stamp(ts - billsec * 1000 + 4000)}","${r.int(1000, 1200)}","4420${r.int(10_000_000, 99_999_999)}",${billsec + 4},${billsec},"ANSWERED",${cost.toFixed(4)},"${currency}","trunk-uk1","${Math.floor(ts / 1000)}.${r.int(1000, 9999)}"`;
  };
  const usual = (): number => 0.02 * Math.exp(r.next() - 0.5);
  // 3 s apart from 22:00: the date changes at line 1200 (midnight).
  const events = Array.from({ length: 1500 }, (_, i) => ({ ts: t0 + i * 3000, text: row(t0 + i * 3000, r.pick(['GBP', 'EUR', 'USD']), usual()) }));
  events.push({ ts: t0 + 1500 * 3000, text: row(t0 + 1500 * 3000, 'CHF', usual()) });
  for (let i = 1501; i < 1600; i++) events.push({ ts: t0 + i * 3000, text: row(t0 + i * 3000, r.pick(['GBP', 'EUR', 'USD']), usual()) });
  events.push({ ts: t0 + 1600 * 3000, text: row(t0 + 1600 * 3000, 'GBP', usual() * 30) });

  it('an unseen currency and a 30× cost are slot findings of their columns; the new date at midnight is none', () => {
    const { findings } = runStream('logs', events, 100);
    const slots = findings.filter((f) => f.detector === SLOT_DETECTOR);
    expect([...new Set(slots.map((f) => f.index))]).toEqual([1500, 1600]);
    expect(slots.find((f) => f.index === 1500)?.explanation).toMatch(/"colI".*"CHF" never seen/);
    expect(slots.find((f) => f.index === 1600)?.explanation).toMatch(/"colH".*× its typical/);
    expect(findings.filter((f) => f.index >= 1150 && f.index < 1500)).toEqual([]);
  });
});
