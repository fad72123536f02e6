// How long a value stays a stranger to a log stream (logs-known.ts, logs-entity.ts): an entity
// burst is reported only for a stranger, a value first seen in the stream when its run in the
// template began. The mark used to persist: a recent stranger stayed one until `recent` newer
// strangers came (never, in a quiet stream with fewer values), and a template's ring carried the
// mark on as long as the value recurred within its last 48 lines; so a node that joined a
// scheduler's pool and worked there for hours was still a stranger when it took most dispatches,
// and was reported. And a stream whose state was saved before the known values' record
// (LogsState.ek) found every value a stranger after the upgrade, its busy node's run too. Now a
// recent stranger is one for recentSightings values seen at most, a mark carries over
// strangerLines of the template's lines at most, and a record begun for a stream with a history
// learns upgradeSightings values before it judges any a stranger.
import { describe, expect, it } from 'vitest';
import type { Finding, ScoreInput } from '../../workers/types.js';
import score from '../../workers/score.js';
import { runStream, task } from './helpers.js';
import { dispatched, scheduler, T0 } from './scheduler-lines.js';
import { freshKnown, known, KNOWN_BYTES, KNOWN_PARAMS, see, valueHash } from '../../workers/detectors/logs-known.js';
import { KNOWN_BUDGET } from '../../workers/detectors/budget.js';

const h = (v: string): number => valueHash(v, 0);

const entity = (f: Finding[]): Finding[] => f.filter((x) => x.detector === 'entity_burst');

type Saved = { ek?: number[]; he?: Record<string, number[]> };

/** The stream's state saved at `cut`, changed by `edit`, then the rest: the entity findings after `cut`. */
function resumed(ev: ScoreInput[], cut: number, edit: (s: Saved) => void): Finding[] {
  const first = runStream('logs', ev.slice(0, cut), 500);
  const old = JSON.parse(new TextDecoder().decode(first.state ?? undefined)) as Saved;
  edit(old);
  let state: Uint8Array | null = new TextEncoder().encode(JSON.stringify(old));
  const out: Finding[] = [];
  for (let off = cut; off < ev.length; off += 500) {
    const res = score(task('logs', ev.slice(off, Math.min(off + 500, ev.length)), state));
    if (!res.ok) throw new Error(res.message);
    for (const f of res.findings) out.push({ ...f, index: f.index + off });
    state = res.state;
  }
  return entity(out);
}

/** The stream's state saved at `cut` as before LogsState.ek (no ek, no stranger marks on the rings), then the rest: the entity findings after `cut`. */
function upgraded(ev: ScoreInput[], cut: number): Finding[] {
  return resumed(ev, cut, (old) => {
    expect(old.ek).toBeDefined();
    expect(Object.keys(old.he ?? {}).length).toBeGreaterThan(0);
    delete old.ek;
    for (const r of Object.values(old.he ?? {})) for (let j = 14; j < r.length; j++) r[j] &= 0xff_ffff;
  });
}

describe('a stranger to the stream (logs-known.ts)', () => {
  it('stays one for recentSightings values seen at most, in a quiet stream with fewer values than the recent ring holds', () => {
    const r = freshKnown();
    for (let i = 0; i < 8; i++) see(r, h(`node-${i}`));
    see(r, h('node-new'));
    expect(known(r, h('node-new'))).toBe(false);
    // Only the 8 known nodes after it: the ring of 32 strangers never turns over.
    for (let i = 0; i < KNOWN_PARAMS.recentSightings - 8; i++) see(r, h(`node-${i % 8}`));
    expect(known(r, h('node-new'))).toBe(false);
    for (let i = 0; i < 16; i++) see(r, h(`node-${i % 8}`));
    expect(known(r, h('node-new'))).toBe(true);
    // Long after (the ages are counted mod 256 units: the place was emptied, it does not come back).
    for (let i = 0; i < 4 * 256 * (KNOWN_PARAMS.recentSightings / 64); i++) see(r, h(`node-${i % 8}`));
    expect(known(r, h('node-new'))).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThanOrEqual(KNOWN_BYTES);
    expect(KNOWN_BYTES).toBeLessThanOrEqual(KNOWN_BUDGET);
  });

  it('a record for a stream with a history learns upgradeSightings values before judging one a stranger', () => {
    const r = freshKnown(true);
    expect(known(r, h('node-1'))).toBe(true);
    for (let i = 0; i < KNOWN_PARAMS.upgradeSightings; i++) see(r, h(`node-${i % 500}`), false);
    expect(known(r, h('node-1'))).toBe(true);
    expect(known(r, h('node-never'))).toBe(false);
  });
});

describe('entity bursts of a value long in the stream (logs-entity.ts)', () => {
  it('a node that joined the pool 2 hours before it takes most dispatches is no stranger by then', () => {
    const { ev } = scheduler(5, 'node-901', dispatched, 'node-901');
    expect(entity(runStream('logs', ev, 500).findings)).toEqual([]);
  });

  it('while a node never seen before that takes them is one, and is reported', () => {
    const { ev } = scheduler(5, 'node-901');
    expect(entity(runStream('logs', ev, 500).findings).length).toBeGreaterThan(10);
  });

  it('a template whose line count reached its cap still ages its marks: the joined node is no stranger by then', () => {
    // The record's line count (its mark clock) stops at 1e9 lines to bound its digits; stopped
    // there, the clock froze, and a stranger's mark never aged: the node that joined at 1 h was
    // still one at 3 h, and its dispatches were reported.
    const { ev } = scheduler(5, 'node-901', dispatched, 'node-901');
    const cut = ev.findIndex((e) => e.ts >= T0 + 3600_000 - 600_000);
    const capped = (old: Saved): void => {
      expect(Object.keys(old.he ?? {}).length).toBeGreaterThan(0);
      for (const r of Object.values(old.he ?? {})) r[0] = 1e9 - 100;
    };
    expect(resumed(ev, cut, capped)).toEqual([]);
    // The same capped state with a node never seen before: still a stranger, still reported.
    expect(resumed(scheduler(5, 'node-901').ev, cut, capped).length).toBeGreaterThan(10);
  });

  it('after an upgrade from a state without the known values, a busy node of the stream is no stranger', () => {
    const { ev } = scheduler(5, 'node-017');
    const cut = ev.findIndex((e) => e.ts >= T0 + 3 * 3600_000 - 600_000);
    expect(entity(runStream('logs', ev, 500).findings)).toEqual([]);
    expect(upgraded(ev, cut)).toEqual([]);
  });
});
