// Sessions keyed by metadata (issue 11, "sequences per entity"): an event's trace/request/session
// id in its metadata (OTLP puts a span's trace id in metadata.trace_id) or the metadata field the
// stream's settings name (task.sessionField, which then alone keys sessions) groups events into
// sessions as an id in the text does; the findings and the state do not depend on the batch split.
import { describe, expect, it } from 'vitest';
import { eventKeyOf } from '../../workers/detectors/sessions-stream.js';
import { SESSION_DETECTOR } from '../../workers/detectors/sessions.js';
import type { Finding, ScoreInput, ScoreTask } from '../../workers/types.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import score from '../../workers/score.js';
import { task } from './helpers.js';

const T0 = Date.UTC(2026, 2, 1);
const NORMAL = ['order received', 'stock reserved', 'payment authorised', 'order shipped'];
/** The odd entity's steps: one step no normal entity takes. */
const ODD = ['order received', 'stock reserved', 'manual fraud review opened', 'order shipped'];
const ODD_AT = 80;

/**
 * 120 entities of four steps, 10 s apart in event time (a session closes 5 min after its last
 * event); entity ODD_AT takes the odd step. The text holds no id: the key is in the metadata,
 * under `key` (and, with `perLineTraceId`, a fresh trace_id on every event besides).
 */
function stream(key: string, perLineTraceId = false): ScoreInput[] {
  const r = seeded(11);
  const out: ScoreInput[] = [];
  for (let e = 0; e < 120; e++) {
    const id = `${key === 'trace_id' ? '' : 'ord-'}${r.hex(16)}`;
    const steps = e === ODD_AT ? ODD : NORMAL;
    steps.forEach((step, j) => {
      const metadata: Record<string, unknown> = { [key]: id, pod: `shop-${e % 3}` };
      if (perLineTraceId) metadata.trace_id = r.hex(32);
      out.push({ ts: T0 + e * 10_000 + j * 200, text: `INFO checkout ${step} amount=${(r.next() * 90).toFixed(2)}`, metadata });
    });
  }
  return out;
}

/** Runs the events through score() in batches, carrying both states, as the engine does. */
function run(events: ScoreInput[], batch: number, sessionField?: string): { findings: Finding[]; sessionState: Uint8Array | null } {
  let state: Uint8Array | null = null;
  let sessionState: Uint8Array | null = null;
  const findings: Finding[] = [];
  for (let off = 0; off < events.length; off += batch) {
    const t: ScoreTask = { ...task('logs', events.slice(off, off + batch), state), sessionState };
    if (sessionField !== undefined) t.sessionField = sessionField;
    const res = score(t);
    if (!res.ok) throw new Error(`${res.code}: ${res.message}`);
    for (const f of res.findings) if (f.detector === SESSION_DETECTOR) findings.push({ ...f, index: f.index + off });
    state = res.state;
    sessionState = res.sessionState ?? null;
  }
  return { findings, sessionState };
}

const oddKey = (events: ScoreInput[], key: string): unknown => events[ODD_AT * 4].metadata?.[key];

describe('eventKeyOf', () => {
  it('the named field alone when set; else an id in the metadata; else the text', () => {
    expect(eventKeyOf('trace_id=abcdef12 x', { order: 'o-1', trace_id: 't-1' }, 'order')).toBe('o-1');
    expect(eventKeyOf('trace_id=abcdef12 blk_7 x', { trace_id: 't-1' }, 'order')).toBeNull();
    expect(eventKeyOf('trace_id=abcdef12 blk_7 x', null, 'order')).toBeNull();
    expect(eventKeyOf('x', { 'http.order.id': 42 }, 'http.order.id')).toBe('42');
    expect(eventKeyOf('blk_7 x', { trace_id: 't-1' })).toBe('t-1');
    expect(eventKeyOf('x', { requestId: 'r-9', pod: 'p' })).toBe('r-9');
    expect(eventKeyOf('Receiving blk_-160 src', { pod: 'p' })).toBe('blk_-160');
    expect(eventKeyOf('{"msg":"x","request_id":"req-7f3a"}', { trace_id: '' })).toBe('req-7f3a');
    expect(eventKeyOf('x', { trace_id: { nested: 1 }, order: true })).toBeNull();
  });

  it('a placeholder is no entity: the text decides', () => {
    for (const p of ['-', '0', '00000000000000000000000000000000', 'null', 'None', 'N/A', '--', ' ', 0]) {
      expect(eventKeyOf('request_id=req-7f3a x', { trace_id: p })).toBe('req-7f3a');
      expect(eventKeyOf('x', { trace_id: p })).toBeNull();
      expect(eventKeyOf('x', { order: p }, 'order')).toBeNull();
    }
    expect(eventKeyOf('x', { trace_id: '0af7651916cd43dd8448eb211c80319c' })).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(eventKeyOf('x', { order: 10 }, 'order')).toBe('10');
    // A stream whose every line says trace_id "-": no session (not one endless session of every line).
    const dashes = stream('trace_id').map((e) => ({ ...e, metadata: { ...e.metadata, trace_id: '-' } }));
    expect(run(dashes, 100).sessionState).toBeNull();
  });
});

describe('sessions keyed by metadata', () => {
  it('trace ids in the metadata form sessions; the trace with a step no normal trace takes is found', () => {
    const events = stream('trace_id');
    const { findings, sessionState } = run(events, 50);
    expect(sessionState).not.toBeNull();
    expect(findings.map((f) => f.details.session)).toEqual([oddKey(events, 'trace_id')]);
    expect(findings[0].explanation).toMatch(/never seen in a normal session/);
    expect(findings[0].details).toMatchObject({ kind: 'session', events: 4 });
  });

  it('the named field takes precedence over a trace id in the metadata', () => {
    // A fresh trace_id on every event: automatic keying makes one-event sessions (never judged).
    const events = stream('order', true);
    expect(run(events, 50).findings).toEqual([]);
    const named = run(events, 50, 'order').findings;
    expect(named.map((f) => f.details.session)).toEqual([oddKey(events, 'order')]);
    // Named but absent from the metadata: no session, whatever the text or other fields hold.
    const other = run(events, 50, 'customer');
    expect(other.findings).toEqual([]);
    expect(other.sessionState).toBeNull();
  });

  it('findings and session state are the same whatever the batch split', () => {
    const events = stream('trace_id');
    const whole = run(events, events.length);
    expect(whole.findings.length).toBe(1);
    for (const batch of [1, 7, 64, 333]) {
      const split = run(events, batch);
      expect(split.findings).toEqual(whole.findings);
      expect(Buffer.from(split.sessionState as Uint8Array).equals(Buffer.from(whole.sessionState as Uint8Array))).toBe(true);
    }
    const named = run(stream('order', true), 480, 'order');
    expect(run(stream('order', true), 13, 'order')).toEqual(named);
  });

  it('refuses a session field that is not a metadata field name', () => {
    for (const bad of ['', 'a b', 'x'.repeat(65), 'trace/id', 5 as unknown as string]) {
      const res = score({ ...task('logs', [{ ts: T0, text: 'x', metadata: { a: '1' } }]), sessionField: bad });
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.code).toBe('DW_ERR_DETECTOR');
    }
    expect(score({ ...task('logs', [{ ts: T0, text: 'x' }]), sessionField: 'x'.repeat(64) }).ok).toBe(true);
  });
});
