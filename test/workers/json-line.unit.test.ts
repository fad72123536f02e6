// JSON log lines: their fields become the template's slots (json-line.ts), so an unseen currency
// or a 30× duration in a JSON body is judged as in a key=value line (issue 11, k8s generator).
import { describe, expect, it } from 'vitest';
import { jsonFields } from '../../workers/detectors/json-line.js';
import { SLOT_DETECTOR } from '../../workers/detectors/logs.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { runStream } from './helpers.js';

describe('jsonFields()', () => {
  it('a JSON object as key=value words, nested keys dotted; anything else null', () => {
    expect(jsonFields('{"level":"info","msg":"order placed","amount":12.5,"http":{"status":200},"tags":["a"],"x y":null}')).toBe('level=info msg=order placed amount=12.5 http.status=200 tags=["a"] x_y=null');
    expect(jsonFields('INFO plain line')).toBeNull();
    expect(jsonFields('{not json}')).toBeNull();
    expect(jsonFields('{}')).toBeNull();
  });
});

describe('a JSON log stream', () => {
  const r = seeded(11);
  const t0 = Date.UTC(2026, 2, 1);
  const line = (i: number, currency: string, ms: number): string =>
    JSON.stringify({ level: 'info', ts: new Date(t0 + i * 200).toISOString(), msg: 'order placed', order_id: `ord_${r.hex(14)}`, amount: Number((r.next() * 400).toFixed(2)), currency, duration_ms: ms, trace_id: r.hex(32) });
  const usual = (): number => Math.round(35 * Math.exp(r.next() - 0.5));
  const events = Array.from({ length: 1500 }, (_, i) => ({ ts: t0 + i * 200, text: line(i, r.pick(['EUR', 'USD', 'GBP', 'CAD']), usual()) }));
  events.push({ ts: t0 + 1500 * 200, text: line(1500, 'JPY', usual()) });
  for (let i = 1501; i < 1600; i++) events.push({ ts: t0 + i * 200, text: line(i, r.pick(['EUR', 'USD', 'GBP', 'CAD']), usual()) });
  events.push({ ts: t0 + 1600 * 200, text: line(1600, 'EUR', usual() * 30) });

  it('an unseen currency and a 30× duration_ms in a JSON body are slot findings', () => {
    const { findings } = runStream('logs', events, 100);
    const slots = findings.filter((f) => f.detector === SLOT_DETECTOR);
    expect([...new Set(slots.map((f) => f.index))]).toEqual([1500, 1600]);
    expect(slots.find((f) => f.index === 1500)?.explanation).toMatch(/"currency".*"JPY" never seen/);
    expect(slots.find((f) => f.index === 1600)?.explanation).toMatch(/"duration_ms".*× its typical/);
  });
});
