// A young template's new values (slots.ts SLOT_NEW_PARAMS.young): a stream's first autovacuum
// reports, one per table, each an entry of several lines. The first is news; the second widens
// its template (the table becomes a slot) and the third brings a third table to a slot whose two
// sightings were each a value's only one: by Good-Turing new values are what the slot shows, and
// neither is reported. Fails before the rule: the second and third reports are compression
// findings.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 11, 6, 21, 0, 0);
const WORDS = ['invoice', 'account', 'payment', 'order', 'session', 'customer', 'product', 'ledger', 'refund', 'coupon', 'shipment', 'tenant', 'plan'];
const stamp = (t: number): string => new Date(t).toISOString().slice(0, 19).replace('T', ' ');

function vacuum(r: ReturnType<typeof seeded>, t: number, table: string): string {
  return `${stamp(t)} UTC [${r.int(20_000, 90_000)}]: [1-1] user=,db=,app=,client= LOG:  automatic vacuum of table "${table}": index scans: ${r.int(0, 1)}\n\tpages: 0 removed, ${r.int(900, 90_000)} remain, ${r.int(10, 4000)} scanned (${(r.next() * 6).toFixed(2)}% of total)\n\ttuples: ${r.int(0, 9000)} removed, ${r.int(10_000, 2_000_000)} remain, 0 are dead but not yet removable\n\tavg read rate: ${(r.next() * 40).toFixed(3)} MB/s, avg write rate: ${(r.next() * 9).toFixed(3)} MB/s\n\tsystem usage: CPU: user: ${(r.next() * 0.4).toFixed(2)} s, system: ${(r.next() * 0.05).toFixed(2)} s, elapsed: ${(r.next() * 2).toFixed(2)} s`;
}

/** An hour of a PostgreSQL log: statements and sessions, with `extra` lines at 20, 35 and 50 minutes. */
function stream(extra: (r: ReturnType<typeof seeded>, t: number, k: number) => string): { ev: ScoreInput[]; at: number[] } {
  const r = seeded(31);
  const ev: ScoreInput[] = [];
  for (let t = T0; t < T0 + 3_600_000; t += 200 + r.int(0, 1800)) {
    const pid = r.int(20_000, 90_000);
    const who = `user=billing_app,db=billing,app=billing-api,client=10.20.3.${r.int(10, 250)}`;
    // 150 statements of different words (the deflate dictionary's recent distinct lines turn over).
    const q = r.int(0, 149);
    const line = r.chance(0.8)
      ? `${stamp(t)} UTC [${pid}]: [${r.int(3, 900)}-1] ${who} LOG:  duration: ${(200 + r.next() * 400).toFixed(3)} ms  execute <unnamed>: SELECT ${WORDS[q % 13]}_${WORDS[(q * 7) % 11]}, ${WORDS[(q * 3) % 12]} FROM ${WORDS[q % 10]}s WHERE ${WORDS[(q * 5) % 13]}_id = $1 LIMIT ${q}`
      : `${stamp(t)} UTC [${pid}]: [1-1] user=,db=,app=,client=10.20.3.${r.int(10, 250)} LOG:  connection received: host=10.20.3.${r.int(10, 250)} port=${r.int(32768, 60999)}`;
    ev.push({ ts: t, text: line });
  }
  const at: number[] = [];
  [1_200_000, 2_100_000, 3_000_000].forEach((dt, k) => ev.push({ ts: T0 + dt + 7, text: extra(r, T0 + dt + 7, k) }));
  ev.sort((a, b) => a.ts - b.ts);
  ev.forEach((e, i) => { if ([1_200_007, 2_100_007, 3_000_007].includes(e.ts - T0)) at.push(i); });
  return { ev, at };
}

describe('a young template', () => {
  it('takes its second and third tables as new values, not news', () => {
    const tables = ['billing.public.invoices', 'billing.public.sessions', 'orders.public.order_items'];
    const { ev, at } = stream((r, t, k) => vacuum(r, t, tables[k]));
    expect(at.length).toBe(3);
    const flagged = new Set(runStream('logs', ev, 100).findings.map((f) => f.index));
    expect(flagged.has(at[1]) || flagged.has(at[2])).toBe(false);
  });
});
