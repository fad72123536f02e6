// TEXT_PARAMS.severityBoost 0 turns the severity prior off: a line's severity word is then no
// severity to the text detector (TextScorer.feed's `sev`), and it does not exempt the line from
// the settling either (TextScorer.routine): a never-seen ERROR line in the stream's first 20
// minutes is learnt as a routine line is, and judged once the stream has settled. With the prior
// on, it is judged from the line warm-up on (settle-time.unit.test.ts).
import { describe, expect, it } from 'vitest';
import { freshTextState, TEXT_PARAMS, TextScorer } from '../../workers/detectors/text.js';
import { LineSeverity } from '../../workers/detectors/text-words.js';

const t0 = Date.UTC(2026, 6, 25, 22);
const iso = (ts: number): string => new Date(ts).toISOString();
const api = (i: number, ts: number): string =>
  `<134>1 ${iso(ts)} web-01 invoiced 585 - - level=INFO msg=request method=GET path=/api/v1/invoices/${10_000 + ((i * 7919) % 90_000)} status=200 dur_ms=${20 + (i % 17)}.${i % 10}1 user=usr_${(i * 104_729) % 999_983}`;
const failed = (ts: number): string => `<27>1 ${iso(ts)} web-01 systemd 1 - - sysstat-collect.service: Failed with result 'exit-code'. ERROR: disk quota exceeded on /var/log/sysstat`;

/** The failed line's score after `lines` request lines `spacingMs` apart, with the severity prior at `boost`. */
function failedScore(lines: number, spacingMs: number, boost: number): number {
  const t = new TextScorer(freshTextState(), { ...TEXT_PARAMS, severityBoost: boost });
  for (let i = 0; i < lines; i++) t.feed(api(i, t0 + i * spacingMs), 0.5, undefined, undefined, t0 + i * spacingMs);
  const ts = t0 + lines * spacingMs;
  return t.feed(failed(ts), 0.5, undefined, undefined, ts)?.score ?? 0;
}

describe('the severity prior off (severityBoost 0)', () => {
  it('the line is severe to LineSeverity, routine to a scorer without the prior', () => {
    const w = new LineSeverity().of(failed(t0));
    expect(w.routine).toBe(false);
    expect(new TextScorer(freshTextState(), { ...TEXT_PARAMS, severityBoost: 0 }).routine(w)).toBe(true);
    expect(new TextScorer(freshTextState(), TEXT_PARAMS).routine(w)).toBe(false);
  });

  it('a never-seen ERROR line 20 minutes in is learnt as a routine line is; with the prior on it is reported', () => {
    expect(450 * 2600).toBeLessThan(TEXT_PARAMS.settleMs);
    expect(failedScore(450, 2600, 0)).toBe(0);
    expect(failedScore(450, 2600, TEXT_PARAMS.severityBoost)).toBeGreaterThanOrEqual(0.5);
  });

  it('and once the stream has settled (32 minutes in) it is reported without the prior too', () => {
    expect(480 * 4000).toBeGreaterThanOrEqual(TEXT_PARAMS.settleMs);
    expect(failedScore(480, 4000, 0)).toBeGreaterThanOrEqual(0.5);
  });
});
