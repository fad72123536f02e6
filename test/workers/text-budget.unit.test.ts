// The byte budget of a log stream's text side (workers/detectors/budget.ts, TEXT_BUDGET; issue
// 11: "state per log stream stays bounded"): the text detector's baseline and quarantine, the
// prose detector's dictionary and long tokens, the metadata fields and the pooled keys stay
// under their bounds in the state's JSON whatever the input; the evictions do not depend on how
// the stream is split into tasks; a state saved before the bounds is brought under them.
// bench/state-size.ts (its hostile_* cases) prints the sizes before and after.
import { describe, expect, it } from 'vitest';
import { scoreLogs } from '../../workers/detectors/logs.js';
import { scoreProse } from '../../workers/detectors/prose.js';
import { FIELD_BYTES, jsonBytes } from '../../workers/detectors/budget.js';
import { FieldTable } from '../../workers/detectors/field-table.js';
import { countsFor } from '../../workers/detectors/field-counts.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { letterWord, prng } from '../../src/tools/demo/synthetic.js';

/** The bounds (TEXT_BUDGET), written out so that this test runs on code without them. */
const KIB = 1024;
const BOUND = { baseline: 32 * KIB, quarantine: 40 * KIB, proseDict: 24 * KIB, proseTokens: 12 * KIB, metadata: 32 * KIB, keys: 40 * KIB, text: 256 * KIB };
const T0 = 1_700_000_000_000;

/** n characters JSON escapes (control characters, quotes, backslashes: up to 6 bytes each). */
function escapes(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 10);
    s += k < 7 ? String.fromCharCode(1 + Math.floor(r() * 8)) : k < 9 ? '"' : '\\';
  }
  return s;
}

const json = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');
type Logs = { t: { base: string[]; q: unknown[][] }; md: Record<string, unknown>; k?: Record<string, unknown>; m: unknown; s: unknown; r: unknown; p?: { dict: string[]; tk?: string[] } };
const parse = <T>(b: Uint8Array): T => JSON.parse(Buffer.from(b).toString('utf8')) as T;

/** Scores a stream in tasks of `size` (no stream key: every task parses its state); the last state and the findings. */
function run(events: ScoreInput[], size: number, llm = false): { state: Uint8Array; findings: Finding[] } {
  let state: Uint8Array | null = null;
  const findings: Finding[] = [];
  for (let from = 0; from < events.length; from += size) {
    const r: { state: Uint8Array; findings: Finding[] } = llm ? scoreProse(state, events.slice(from, from + size)) : scoreLogs(state, events.slice(from, from + size), undefined);
    state = r.state;
    for (const f of r.findings) findings.push({ ...f, index: f.index + from });
  }
  return { state: state as Uint8Array, findings };
}

/** The text side of a logs state: all but the template layer (m, s, r). */
function textSide(s: Logs): number {
  return json({ ...s, m: undefined, s: undefined, r: undefined });
}

const ordinary = (i: number): ScoreInput => ({ ts: T0 + i * 100, text: `INFO worker=${letterWord(i % 7)} job=${i} status=done ms=${i % 90}` });

/** Lines of escaped characters (the baseline), then error patterns made common with 2 KiB escaped lines (the quarantine keeps each line). */
function escapedStream(patterns: number): ScoreInput[] {
  const r = prng(31);
  const ev: ScoreInput[] = [];
  for (let i = 0; i < 300; i++) ev.push(i % 3 === 0 ? { ts: T0 + i * 100, text: escapes(r, 400) } : ordinary(i));
  for (let p = 0; p < patterns; p++) {
    const words = `${letterWord(5000 + p * 3)} ${letterWord(7000 + p * 5)} ${letterWord(9000 + p * 7)}`;
    // 3 s apart: each pattern flows for longer than severeFlowMs (300 s) and becomes common.
    for (let k = 0; k < 110; k++) ev.push({ ts: T0 + ev.length * 3000, text: `ERROR ${words} failed ${escapes(r, 2100)}` });
  }
  return ev;
}

/** Metadata fields with 16 values of 64 escaped characters, and keyed slots over templates of their own taking 16 values (12 escaped). */
function fieldStream(keys: number): ScoreInput[] {
  const r = prng(32);
  const values = Array.from({ length: 16 }, () => escapes(r, 64));
  const ev: ScoreInput[] = [];
  for (let k = 0; k < keys; k++) {
    const name = `${letterWord(k + 30)}${escapes(r, 30).split('\u0001').join('')}`;
    const escaped = Array.from({ length: 12 }, (_, v) => `${v % 10}${escapes(r, 63)}`);
    for (let j = 0; j < 72; j++) {
      const metadata: Record<string, unknown> = {};
      for (let f = 0; f < 32; f++) metadata[`field${f}`] = values[(ev.length + f) % 16];
      const value = j < 40 ? String(j % 4) : escaped[j % 12];
      ev.push({ ts: T0 + ev.length * 100, text: `INFO applied ${letterWord(k * 3)} ${letterWord(k * 3 + 1)} ${letterWord(k * 3 + 2)} ${name}=${value}`, metadata });
    }
  }
  return ev;
}

describe('byte budget of the text side of a log stream', () => {
  it('counts a string as JSON writes it, without serialising it', () => {
    const r = prng(33);
    const pool = [0, 1, 8, 9, 10, 12, 13, 31, 32, 34, 92, 65, 127, 128, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xffff, 0x2028];
    for (let t = 0; t < 20_000; t++) {
      let s = '';
      for (let i = Math.floor(r() * 10); i > 0; i--) s += String.fromCharCode(r() < 0.6 ? pool[Math.floor(r() * pool.length)] : Math.floor(r() * 65536));
      expect(jsonBytes(s)).toBe(Buffer.byteLength(JSON.stringify(s)));
    }
  });

  it('the text baseline and quarantine stay under their bounds with lines of escaped characters that become common', () => {
    const ev = escapedStream(36);
    const { state, findings } = run(ev, 1000);
    const s = parse<Logs>(state);
    expect(findings.length).toBeGreaterThan(100);
    expect(json(s.t.base)).toBeLessThanOrEqual(BOUND.baseline);
    expect(json(s.t.q)).toBeLessThanOrEqual(BOUND.quarantine);
    // The quarantine still holds the recent patterns, each with its accepted line.
    expect(s.t.q.length).toBeGreaterThan(1);
    expect(s.t.q.at(-1)?.[12]).not.toBe('');
    expect(textSide(s)).toBeLessThanOrEqual(BOUND.text);
  }, 120_000);

  it('metadata names of 32 KiB are not kept, and metadata and pooled keys of escaped values stay under their bounds', () => {
    const r = prng(34);
    const named: ScoreInput[] = [];
    for (let i = 0; i < 200; i++) named.push({ ...ordinary(i), metadata: i < 40 ? { [`${letterWord(i)}_${escapes(r, 4)}`.padEnd(32_768, 'x')]: 'a' } : { region: 'eu' } });
    const a = parse<Logs>(run(named, 1000).state);
    expect(json(a.md)).toBeLessThanOrEqual(BOUND.metadata);
    expect(Object.keys(a.md)).toContain('region');
    const b = parse<Logs>(run(fieldStream(64), 1000).state);
    expect(json(b.md)).toBeLessThanOrEqual(BOUND.metadata);
    expect(json(b.k)).toBeLessThanOrEqual(BOUND.keys);
    expect(Object.keys(b.k ?? {}).length).toBeGreaterThan(8);
    expect(textSide(b)).toBeLessThanOrEqual(BOUND.text);
  }, 120_000);

  it("an llm stream's dictionary and long tokens stay under their bounds with texts of escaped characters", () => {
    const r = prng(35);
    const ev: ScoreInput[] = [];
    // Texts of short runs of escaped characters (the dictionary), then texts with a new 95-character token each (the long tokens).
    const runs = (n: number): string => Array.from({ length: n }, () => escapes(r, 6)).join(' ');
    for (let i = 0; i < 300; i++) ev.push({ ts: T0 + i * 1000, text: `hello there, ${letterWord(i % 40)} is my order ${runs(50)}` });
    for (let i = 0; i < 200; i++) ev.push({ ts: T0 + (300 + i) * 1000, text: `my order ${letterWord(i % 40)} please ${runs(20)} ${letterWord(900 + i)}${escapes(r, 95)}` });
    const whole = run(ev, ev.length, true);
    const s = parse<{ dict: string[]; tk: string[] }>(whole.state);
    expect(json(s.dict)).toBeLessThanOrEqual(BOUND.proseDict);
    expect(json(s.tk)).toBeLessThanOrEqual(BOUND.proseTokens);
    expect(s.tk.length).toBeGreaterThan(4);
    // The same in tasks of 70 texts.
    const split = run(ev, 70, true);
    expect(Buffer.from(split.state).equals(Buffer.from(whole.state))).toBe(true);
    expect(split.findings).toEqual(whole.findings);
  }, 120_000);

  it('evictions by bytes do not depend on how the stream is split into tasks', () => {
    // 3 s apart: each ERROR pattern flows for longer than severeFlowMs and is accepted with its long line.
    const logs = [...escapedStream(36), ...fieldStream(48)].map((e, i) => ({ ...e, ts: T0 + i * 3000 }));
    const whole = run(logs, logs.length);
    const split = run(logs, 700);
    const s = parse<Logs>(whole.state);
    // The bounds bit: fewer patterns than the quarantine's count, a pool left under its count.
    expect(s.t.q.length).toBeLessThan(32);
    expect(Buffer.from(split.state).equals(Buffer.from(whole.state))).toBe(true);
    expect(split.findings).toEqual(whole.findings);
  }, 300_000);

  it('a state saved before the bounds is brought under them, and scoring goes on', () => {
    const { state } = run(escapedStream(3).slice(0, 500), 1000);
    const s = parse<Logs>(state);
    const r = prng(36);
    // What a state of the old code could hold: 60 KiB of metadata names, 32 patterns with 2 KiB escaped lines.
    for (let i = 0; i < 30; i++) s.md[`name${i}`.padEnd(2048, 'n')] = { n: 1, v: { a: 1 }, k: 1, num: 0, up: 0, prev: 0, nc: 0, c: {} };
    const q0 = s.t.q[0];
    s.t.q = Array.from({ length: 32 }, (_, i) => [`pattern ${letterWord(i + 100)}`, ...q0.slice(1, 12), escapes(r, 2048), q0[13]]);
    const old = new TextEncoder().encode(JSON.stringify(s));
    const next = parse<Logs>(scoreLogs(old, [ordinary(600)], undefined).state);
    expect(json(next.t.q)).toBeLessThanOrEqual(BOUND.quarantine);
    expect(json(next.md)).toBeLessThanOrEqual(BOUND.metadata);
    expect(next.t.q.length).toBeGreaterThan(1);
  }, 60_000);
});

describe('a field the table leaves high-cardinality (field-table.ts)', () => {
  it('loses its values, their last sightings and the counts Map beside them, as a field past maxValues does', () => {
    // Room for the field and a few values only: the repeat of a known value goes through the
    // counts' Map (field-counts.ts), then new values take the table over its bytes.
    const t = new FieldTable(undefined, () => ({}), 4, FIELD_BYTES + 64);
    const f = t.field('region')!;
    for (const v of ['eu', 'us', 'eu', 'us', 'eu']) t.observe(f, 'region', v, '', false);
    expect(countsFor(f)).toBeDefined();
    for (let i = 0; f.v !== null && i < 100; i++) t.observe(f, 'region', `zone-${i}`, '', false);
    expect(f.v).toBeNull();
    expect(f.l).toBeUndefined();
    expect(countsFor(f)).toBeUndefined();
    expect(t.bytes).toBeLessThanOrEqual(FIELD_BYTES + 64);
  });
});
