// ScoreTask.columns (the engine's task encoding, encodeTask): the same inputs as the JSON
// encoding, so the same findings and state; bad columns are refused, not thrown.
import { describe, expect, it } from 'vitest';
import score from '../../workers/score.js';
import type { ScoreInput, ScoreTask, StreamType } from '../../workers/types.js';
import { encodeTask } from '../../engine/transforms/score.js';
import type { EventRecord } from '../../engine/types.js';
import { task, textEvents, valueEvents } from './helpers.js';

const records = (xs: ScoreInput[]): EventRecord[] => xs.map((x) => ({
  ts: x.ts, text: x.text, value: x.value, streamType: x.value === undefined ? 'logs' : 'metrics', metadataJson: x.metadata === undefined ? null : JSON.stringify(x.metadata),
}) as unknown as EventRecord);

function columnsTask(streamType: StreamType, xs: ScoreInput[], state: Uint8Array | null): ScoreTask {
  const { events, columns } = encodeTask(records(xs));
  return { stream: 'test', streamType, state, events, ...(columns === undefined ? {} : { columns }) };
}

function both(streamType: StreamType, xs: ScoreInput[]): void {
  let a: Uint8Array | null = null;
  let b: Uint8Array | null = null;
  for (let off = 0; off < xs.length; off += 50) {
    const part = xs.slice(off, off + 50);
    const ra = score(task(streamType, part, a));
    const rb = score(columnsTask(streamType, part, b));
    if (!ra.ok || !rb.ok) throw new Error('a task failed');
    expect(rb.findings).toEqual(ra.findings);
    expect(rb.scored).toBe(ra.scored);
    expect(Buffer.from(rb.state).equals(Buffer.from(ra.state))).toBe(true);
    a = ra.state; b = rb.state;
  }
}

describe('ScoreTask.columns', () => {
  it('texts (multi-byte, empty, embedded newlines and quotes) score as their JSON twin', () => {
    const lines = Array.from({ length: 300 }, (_, i) => (i % 97 === 13 ? `ERROR «${i}» disk ☃ "quoted"\n\tcontinued 🚀` : i % 50 === 7 ? '' : `INFO request ${i} served in ${i % 17} ms`));
    const { columns } = encodeTask(records(textEvents(lines)));
    expect(columns?.ends).toBeInstanceOf(Uint32Array);
    both('logs', textEvents(lines));
  });

  it('metadata travels in its own column and scores as its JSON twin (a field never seen is found either way)', () => {
    const xs: ScoreInput[] = Array.from({ length: 2_400 }, (_, i) => ({
      ts: 1_700_000_000_000 + i * 1_000, text: `INFO payment ${i} accepted`,
      ...(i % 7 === 0 ? {} : { metadata: { region: i === 2_300 ? 'mars-1' : ['eu-1', 'us-1', 'ap-1'][i % 3], n: i } }),
    }));
    const { columns } = encodeTask(records(xs));
    expect(columns?.meta).toBeInstanceOf(Uint8Array);
    both('logs', xs);
    const whole = score(columnsTask('logs', xs, null));
    expect(whole.ok && whole.findings.some((f) => f.index === 2_300 && /region/.test(f.explanation))).toBe(true);
    expect(encodeTask(records(textEvents(['a', 'b']))).columns?.meta).toBeUndefined();
  });

  it('values score as their JSON twin', () => {
    const xs = Array.from({ length: 400 }, (_, i) => (i === 333 ? 500 : Math.sin(i / 7) * 10 + (i % 5)));
    expect(encodeTask(records(valueEvents(xs))).columns?.values).toBeInstanceOf(Float64Array);
    both('metrics', valueEvents(xs));
  });

  it('refuses columns that do not fit the events', () => {
    const good = columnsTask('logs', textEvents(['a', 'bb', 'ccc']), null);
    const cases: [string, ScoreTask][] = [
      ['ends past the text', { ...good, columns: { ts: good.columns!.ts, ends: Uint32Array.of(1, 3, 99) } }],
      ['ends falling', { ...good, columns: { ts: good.columns!.ts, ends: Uint32Array.of(3, 1, 6) } }],
      ['ends too short', { ...good, columns: { ts: good.columns!.ts, ends: Uint32Array.of(1) } }],
      ['ts not a Float64Array', { ...good, columns: { ts: [1, 2, 3] as unknown as Float64Array, ends: good.columns!.ends } }],
    ];
    for (const [what, t] of cases) {
      const r = score(t);
      expect(r.ok, what).toBe(false);
      if (!r.ok) expect(r.code).toBe('DW_ERR_DETECTOR');
    }
  });
});
