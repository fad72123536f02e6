// The text detector on a regular stream: its lines are mostly exact repeats of known lines once
// normalised, so few costs ever reach the null (issue 11: the k8s generator's inventory stream,
// 1,500 logfmt lines, held 6-13 and never reported its errors). Here 9 distinct normalised lines
// (a delta of 1 or 2 digits or negative, a stock of 1-3 digits): 9 costs in the null.
import { describe, expect, it } from 'vitest';
import { TEXT_DETECTOR } from '../../workers/detectors/text.js';
import { runStream } from './helpers.js';

describe('a regular stream', () => {
  const t0 = Date.UTC(2026, 2, 1);
  const line = (i: number): string => `ts=2026-03-01T00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z level=info msg="stock level updated" sku=SKU-${1000 + ((i * 37) % 9000)} delta=${((i * 7) % 46) - 5} on_hand=${(i * 13) % 900}`;
  const events = Array.from({ length: 400 }, (_, i) => ({ ts: t0 + i * 2500, text: line(i) }));
  events.push({ ts: t0 + 400 * 2500, text: 'ts=2026-03-01T00:16:40.400Z level=error msg="warehouse sync failed" warehouse=ams-1 err="read tcp: connection reset by peer" retry_in=60s' });
  for (let i = 401; i < 450; i++) events.push({ ts: t0 + i * 2500, text: line(i) });

  it('reports a never-seen error after the warm-up, and nothing else', () => {
    const { findings } = runStream('logs', events, 100);
    const text = findings.filter((f) => f.detector === TEXT_DETECTOR);
    expect(text.map((f) => f.index)).toEqual([400]);
  });
});
