// A stream settles in event time as well as in lines (TEXT_PARAMS.settleMs, settleEvents): a
// host's first half hour shows its timers, cron runs and logins for the first time, so a routine
// line then is learnt, not reported; a severe line is reported from the line warm-up on.
import { describe, expect, it } from 'vitest';
import { TEXT_PARAMS } from '../../workers/detectors/text.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const t0 = Date.UTC(2026, 6, 25, 22);
const iso = (ts: number): string => new Date(ts).toISOString();
/** A Go API's request line every 2 s (RFC 5424, with the syslog fields as metadata). */
const api = (i: number, ts: number): ScoreInput => ({
  ts,
  text: `<134>1 ${iso(ts)} web-01 invoiced 585 - - level=INFO msg=request method=GET path=/api/v1/invoices/${10_000 + ((i * 7919) % 90_000)} status=200 dur_ms=${20 + (i % 17)}.${i % 10}1 user=usr_${(i * 104_729) % 999_983}`,
  metadata: { appname: 'invoiced', facility: 'local0', severity: 'info' },
});
/** A systemd timer's first run: a line and an appname the stream has not shown. */
const timer = (ts: number): ScoreInput => ({
  ts,
  text: `<30>1 ${iso(ts)} web-01 systemd 1 - - Starting sysstat-collect.service - system activity accounting tool...`,
  metadata: { appname: 'systemd', facility: 'daemon', severity: 'info' },
});
const failed = (ts: number): ScoreInput => ({
  ts,
  text: `<27>1 ${iso(ts)} web-01 systemd 1 - - sysstat-collect.service: Failed with result 'exit-code'. ERROR: disk quota exceeded on /var/log/sysstat`,
  metadata: { appname: 'systemd', facility: 'daemon', severity: 'err' },
});

function stream(lines: number, spacingMs: number, last: (ts: number) => ScoreInput): ScoreInput[] {
  const events = Array.from({ length: lines }, (_, i) => api(i, t0 + i * spacingMs));
  events.push(last(t0 + lines * spacingMs));
  return events;
}

describe('a stream settles in event time as well as in lines', () => {
  it('a routine never-seen line 20 minutes in (450 lines) is learnt, not reported', () => {
    const events = stream(450, 2600, timer);
    expect(450 * 2600).toBeLessThan(TEXT_PARAMS.settleMs);
    expect(450).toBeLessThan(TEXT_PARAMS.settleEvents);
    const { findings } = runStream('logs', events, 100);
    expect(findings.filter((f) => f.index === 450)).toEqual([]);
  });

  it('the same line 32 minutes in (480 lines, fewer than settleEvents) is reported', () => {
    const events = stream(480, 4000, timer);
    expect(480 * 4000).toBeGreaterThanOrEqual(TEXT_PARAMS.settleMs);
    expect(480).toBeLessThan(TEXT_PARAMS.settleEvents);
    const { findings } = runStream('logs', events, 100);
    expect(findings.filter((f) => f.index === 480).length).toBeGreaterThan(0);
  });

  it('a busy stream settles by its line count: the line after 500 lines in 50 s is reported', () => {
    const events = stream(TEXT_PARAMS.settleEvents, 100, timer);
    const { findings } = runStream('logs', events, 100);
    expect(findings.filter((f) => f.index === TEXT_PARAMS.settleEvents).length).toBeGreaterThan(0);
  });

  it('a severe never-seen line 20 minutes in is reported', () => {
    const events = stream(450, 2600, failed);
    const { findings } = runStream('logs', events, 100);
    expect(findings.filter((f) => f.index === 450).length).toBeGreaterThan(0);
  });
});
