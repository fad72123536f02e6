// The logs path's speed changes must not change a result: the prose share's char-code tests
// against the string look-ups they replaced, the slot statistics' dictionary-mode objects against
// `{}` literals, and the text detector's in-place dictionary (appended, trimmed, rebuilt after a
// reordering) against the same stream cut into one-event tasks (a fresh dictionary every event).
import { describe, expect, it } from 'vitest';
import { proseShare, proseShareSpaced } from '../../workers/detectors/prose-features.js';
import { MAY_BE_UNSPACED } from '../../workers/detectors/logs-prose.js';
import { FIELD_PARAMS, flushFields, freshField, observeValue, wordValue, type FieldStats } from '../../workers/detectors/fields.js';
import { nextVersion } from '../../workers/detectors/field-versions.js';
import { scoreText, TEXT_PARAMS } from '../../workers/detectors/text.js';
import { prng } from '../../src/tools/demo/synthetic.js';
import { fieldEq, scan } from '../../workers/detectors/templates.js';

/** proseShare as it was written before (OPENERS / CLOSERS as strings, one-character look-ups). */
function proseShareRef(text: string): { words: number; tokens: number } {
  const OPENERS = '("\'¿¡';
  const CLOSERS = '.,!?;:)"\'';
  let words = 0;
  let tokens = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c <= 32) { i++; continue; }
    tokens++;
    let end = i;
    while (end < n && text.charCodeAt(end) > 32) end++;
    let a = i;
    let b = end;
    if (OPENERS.includes(text[a])) a++;
    while (b > a && CLOSERS.includes(text[b - 1])) b--;
    let word = b > a;
    for (let k = a; k < b && word; k++) {
      c = text.charCodeAt(k);
      if (c >= 97 && c <= 122) continue;
      if (c >= 65 && c <= 90) { word = k === a; continue; }
      if (c >= 0xc0) continue;
      word = (c === 39 || c === 0x2019) && k > a && k < b - 1;
    }
    if (word) words++;
    i = end;
  }
  return { words, tokens };
}

describe('proseShare', () => {
  it('agrees with the string look-ups on edge cases', () => {
    const cases = [
      '', ' ', '\t\n ', '(', '"', "'", '¿', '¡', '.', '?!', '("hello")', '¿Qué tal?', '¡Hola!', "don't stop", 'it’s fine',
      'naïve café déjà vu', '日本語 の 文章 です', 'emoji 😀 here 👍🏽.', '\ud800 lone surrogate \udfff', 'A B C d e f', 'x'.repeat(100_000),
      `${'word '.repeat(20_000)}end.`, '(((a)))', "'quoted'", '"a', 'a"', '\u00a0nbsp\u00a0split',
    ];
    for (const t of cases) expect(proseShare(t), JSON.stringify(t.slice(0, 40))).toEqual(proseShareRef(t));
  });

  it('agrees on random strings of the characters it turns on', () => {
    const r = prng(11);
    const alphabet = ['a', 'Z', 'é', '日', '😀', "'", '’', '(', ')', '"', '¿', '¡', '.', ',', '!', '?', ';', ':', ' ', '\t', '1', '-', '\u0000'];
    for (let k = 0; k < 2000; k++) {
      let t = '';
      const len = Math.floor(r() * 60);
      for (let i = 0; i < len; i++) t += alphabet[Math.floor(r() * alphabet.length)];
      expect(proseShare(t), JSON.stringify(t)).toEqual(proseShareRef(t));
    }
  });

  it('proseShareSpaced: null exactly where MAY_BE_UNSPACED matches, else proseShare', () => {
    const r = prng(17);
    // Code units at and next to each unspaced range's bounds, and ordinary ones.
    const alphabet = ['a', 'Z', ' ', "'", '.', '1', '\u2e7f', '\u2e80', '\u9fff', '\ua000', '\uf8ff', '\uf900', '\ufaff', '\ufb00', '\ufeff', '\uff00', '\uffef', '\ufff0', '\ud83d', '\ud840', '\ud87f', '\ud880', '日', 'é'];
    for (let k = 0; k < 5000; k++) {
      let t = '';
      const len = Math.floor(r() * 40);
      for (let i = 0; i < len; i++) t += alphabet[Math.floor(r() * (k % 2 === 0 ? 6 : alphabet.length))];
      const got = proseShareSpaced(t);
      if (MAY_BE_UNSPACED.test(t)) expect(got, JSON.stringify(t)).toBeNull();
      else expect(got, JSON.stringify(t)).toEqual(proseShare(t));
    }
  });
});

describe('field statistics objects', () => {
  it('keep the key order, JSON and prototype look-ups of {} literals', () => {
    const values = ['503', 'GET', '0', 'constructor', 'toString', 'EUR', '12', 'a b', '4294967295', '__proto__x', 'x'.repeat(64)];
    const f = freshField();
    const literal: Record<string, number> = {};
    for (const v of values) {
      observeValue(f, v, '');
      literal[v] = (literal[v] ?? 0) + 1;
    }
    const v = f.v as Record<string, number>;
    expect(Object.keys(v)).toEqual(Object.keys({ ...Object.fromEntries(Object.keys(v).map((k) => [k, 0])) }));
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(f.c)).toBe(Object.prototype);
    // The same insertions into a literal: the same key order and JSON (prototype names included).
    const again = freshField();
    const lit = { n: 0, v: {} as Record<string, number>, k: 0, num: 0, up: 0, prev: 0, nc: 0, c: {} };
    for (const x of values) {
      observeValue(again, x, '');
      observeValue(lit, x, '');
    }
    expect(JSON.stringify(again)).toBe(JSON.stringify(lit));
    expect(Object.keys(again.v as object)).toEqual(Object.keys(lit.v));
  });
});

describe('text detector dictionary', () => {
  it('scores a stream the same in one task as in one-event tasks (in-place dictionary vs rebuilt)', () => {
    // A small baseline so lines are evicted and the arena fills; known lines come back (reorderings).
    const params = { ...TEXT_PARAMS, baselineBytes: 600, warmupEvents: 20, warmupNull: 8 };
    const r = prng(5);
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'ünïcödé', '日本'];
    const lines: { ts: number; text: string }[] = [];
    const seen: string[] = [];
    for (let i = 0; i < 600; i++) {
      let text: string;
      if (i > 100 && i % 37 === 0) text = Array.from({ length: 80 }, () => String.fromCharCode(33 + Math.floor(r() * 90))).join('').replace(/[0-9]/g, 'k');
      else if (seen.length > 0 && r() < 0.5) text = seen[Math.floor(r() * seen.length)];
      else {
        text = Array.from({ length: 3 + Math.floor(r() * 8) }, () => words[Math.floor(r() * words.length)]).join(' ');
        if (r() < 0.05) text += ' ' + 'q'.repeat(200 + Math.floor(r() * 300));
        seen.push(text);
      }
      lines.push({ ts: i, text });
    }
    const whole = scoreText(null, lines, params);
    let state: Uint8Array | null = null;
    const findings: unknown[] = [];
    lines.forEach((e, i) => {
      const one = scoreText(state, [e], params);
      for (const f of one.findings) findings.push({ ...f, index: i });
      state = one.state;
    });
    expect(findings).toEqual(whole.findings);
    expect(Buffer.from(state as unknown as Uint8Array).equals(Buffer.from(whole.state))).toBe(true);
    expect(whole.findings.length).toBeGreaterThan(0);
  });
});

/** The miner key as scan() built it before (string concatenation, token by token). */
function scanKeyRef(line: string): string {
  let key = '';
  for (const tok of line.split(/[ \t\n\r]+/).filter((t) => t !== '')) {
    if (!/[0-9]/.test(tok)) key += tok + ' ';
    else {
      const eq = fieldEq(tok);
      key += eq > 0 ? tok.slice(0, eq + 1) + '* ' : '* ';
    }
  }
  return key;
}

describe('scan() key written into a scratch buffer', () => {
  it('is the concatenated key, for Latin-1 and wider lines', () => {
    const r = prng(13);
    const alphabet = ['a', 'Z', '0', '7', '=', 'k=', '=1', ' ', '  ', '\t', '\r\n', '\u00a0', 'é', 'ÿ', '日', '☃', 'x=9', 'status=', 'id', '-', '*'];
    for (let k = 0; k < 20_000; k++) {
      let s = '';
      const len = Math.floor(r() * 30);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
      const sc = scan(s, 64);
      expect(sc.key, JSON.stringify(s)).toBe(scanKeyRef(s));
      expect(sc.tokens).toEqual(s.split(/[ \t\n\r]+/).filter((t) => t !== ''));
    }
  });
});

/** observeValue's categorical part as it was before the Map of counts (object look-ups only): an unseen value's finding as [values, sightings, shown, once]. */
function observeRef(f: FieldStats, value: string): [number, number, string, number] | null {
  const P = FIELD_PARAMS;
  let out: [number, number, string, number] | null = null;
  const v = f.v;
  if (v !== null) {
    const c = v[value];
    if (c === undefined) {
      const low = f.n >= P.minSightings && f.k <= P.lowCard;
      // A settled field (fields.ts settled): p no lower than 1 / (sightings since its last new value + 1).
      const settled = f.t !== undefined && f.k >= 2 && f.n >= P.settledMin && f.n - f.t >= P.settledShare * f.n && wordValue(value);
      // The next step of a shown value (v3x after v2x) is no new category (field-versions.ts).
      if ((low || settled) && !nextVersion(value, Object.keys(v))) {
        const keys = Object.keys(v);
        let once = 0;
        for (const k of keys) if (v[k] === 1) once++;
        let p = (once + 1) / (f.n + 1);
        const S = -Math.log10(p);
        const q = settled ? Math.max(p, 1 / (f.n - (f.t as number) + 1)) : 1;
        const Q = -Math.log10(q);
        if (settled && Q / (Q + P.settledHalf) > (low ? S / (S + P.unseenHalf) : 0)) p = q;
        out = [keys.length, f.n, keys.slice(0, 8).join(', '), p];
      }
      if (f.k >= P.maxValues) {
        f.v = null;
        f.n = 0;
        delete f.t;
      } else {
        v[value] = 1;
        f.k++;
        f.t = f.n;
      }
    } else v[value] = c + 1;
  }
  f.n++;
  return out;
}

/** JSON of a field without its rare values' last sightings (l), which observeRef does not keep. */
const noL = (k: string, v: unknown): unknown => (k === 'l' ? undefined : v);

describe('field counts in a Map beside the object', () => {
  it('give the findings and, once flushed, the JSON of object look-ups, prototype names included', () => {
    const r = prng(17);
    const names = ['constructor', 'toString', '__proto__', 'valueOf', 'hasOwnProperty', '0', '12', '4294967295', 'EUR', 'GET'];
    let found = 0;
    for (let round = 0; round < 40; round++) {
      const f = freshField();
      const ref = freshField();
      const distinct = 2 + Math.floor(r() * 12);
      for (let i = 0; i < 1500; i++) {
        const value = r() < 0.004 ? names[Math.floor(r() * names.length)] : `v${Math.floor(r() * r() * distinct)}x`;
        // Categorical only (numbers false), as a pooled key. The reference models unseen values
        // (rare_value findings and their last sightings, f.l, are fields.unit's).
        const any = observeValue(f, value, '', false);
        const got = any?.kind === 'unseen_value' ? any : null;
        const want = observeRef(ref, value);
        expect(got === null, `${round}/${i}`).toBe(want === null);
        if (got !== null && want !== null) {
          found++;
          expect(got.details.values).toBe(want[0]);
          expect(got.details.sightings).toBe(want[1]);
          expect(got.words).toContain(`values so far: ${want[2]};`);
          expect(got.details.p_value).toBe(Number(want[3].toPrecision(3)));
        }
        if (r() < 0.01) {
          flushFields();
          expect(JSON.stringify(f, noL)).toBe(JSON.stringify(ref));
        }
      }
      flushFields();
      expect(JSON.stringify(f, noL)).toBe(JSON.stringify(ref));
    }
    expect(found).toBeGreaterThan(5);
  });
});
