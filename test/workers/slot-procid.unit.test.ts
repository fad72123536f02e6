// The PROCID of an RFC 5424 header (`<134>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) is an id:
// a service restarted, or the same program run by cron, logs under a new process id, which is
// not a new value of the template (logs-values.ts: processValue). host tuning seeds 201-210: a
// Go API's request and payment lines reported "value 610860 is 1.57e+3× the largest of its 27
// sightings (387)" whenever its program logged from another process (51 of 1,017 false alarms).
// A new value of an ordinary low-cardinality slot is still reported.
import { describe, expect, it } from 'vitest';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const t0 = Date.UTC(2026, 6, 25, 22);

/** 3,000 request lines 1 s apart; from line 2,000 on the program logs from a new process id. */
function lines(edits: Record<number, string> = {}): ScoreInput[] {
  return Array.from({ length: 3000 }, (_, i) => {
    const ts = t0 + i * 1000;
    const pid = i < 2000 ? 585 : 610_860;
    const method = edits[i] ?? (i % 3 === 0 ? 'POST' : 'GET');
    return {
      ts,
      text: `<134>1 ${new Date(ts).toISOString()} web-01 invoiced ${pid} - - level=INFO msg=request method=${method} path=/api/v1/invoices/${10_000 + ((i * 7919) % 90_000)} status=200 bytes=${1000 + ((i * 31) % 900)}`,
    };
  });
}

describe('an RFC 5424 PROCID (logs-values.ts)', () => {
  it('a new process id is not an unseen or outlying value; a new method still is', () => {
    const slot = (edits: Record<number, string>): string[] =>
      runStream('logs', lines(edits), 100).findings.filter((f) => f.detector === 'template_slot').map((f) => `${f.index}: ${f.explanation}`);
    expect(slot({})).toEqual([]);
    const found = slot({ 2500: 'PURGE' });
    expect(found.length).toBe(1);
    expect(found[0]).toMatch(/^2500: .*value "PURGE" never seen/);
  });
});
