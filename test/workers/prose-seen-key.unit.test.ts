// The verbatim memory's key (prose-seen.ts, review finding): a text that collides with an accepted
// one must not pass for it (an attacker could hide an anomalous prompt behind a stock reply). The
// key is 64 bits of SHA-256 over the text's UTF-16 units; known 32-bit FNV-1a collisions, which
// the memory took for the accepted text before, are not seen (fails on the code before). A
// state saved with the 32-bit hashes (test/fixtures/prose-state-fnv32.json: llm-shop seed 201's
// replies, the first 310 texts, scored by the code before) still loads: its memory starts empty
// in the new format, its last flag and the rest of the prose state carry on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import score from '../../workers/score.js';
import { decodeProse, type ProseState } from '../../workers/detectors/prose-state.js';
import { SeenTexts, textKey } from '../../workers/detectors/prose-seen.js';
import { fnv1a } from '../../workers/detectors/fnv.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { generateLlmShop } from '../../src/tools/eval/generators/llm-shop.js';
import { packageRoot } from '../../src/core/paths.js';

/** Pairs of words whose 32-bit FNV-1a hashes are equal. */
const COLLISIONS: [string, string][] = [['costarring', 'liquid'], ['declinate', 'macallums'], ['altarage', 'zinke'], ['altarages', 'zinkes']];

describe('the verbatim memory key', () => {
  it('a 32-bit FNV-1a collision with an accepted text is not taken for it', () => {
    const m = new SeenTexts(16, 0);
    for (const [k, [a, b]] of COLLISIONS.entries()) {
      expect(fnv1a(a)).toBe(fnv1a(b));
      m.accept(a, k);
      m.tick(k);
      expect(m.has(a)).toBe(true);
      expect(m.has(b)).toBe(false);
    }
  });

  it('keys the UTF-16 units: texts that UTF-8 would encode alike (lone surrogates) differ', () => {
    expect(Buffer.from('a\ud800').equals(Buffer.from('a\udc00'))).toBe(true);
    expect(textKey('a\ud800')).not.toBe(textKey('a\udc00'));
    const m = new SeenTexts(4, 0);
    m.accept('a\ud800', 0);
    m.tick(0);
    expect([m.has('a\ud800'), m.has('a\udc00'), m.has('a\ufffd')]).toEqual([true, false, false]);
  });

  it('comes back the same from its saved state, waiting keys included', () => {
    const m = new SeenTexts(3, 2);
    m.accept('one', 0);
    m.accept('two', 1);
    m.tick(2);
    const saved = m.save();
    expect(saved?.w).toBe(2);
    const back = new SeenTexts(3, 2, JSON.parse(JSON.stringify(saved)) as typeof saved);
    expect([back.has('one'), back.has('two')]).toEqual([true, false]);
    back.tick(3);
    expect(back.has('two')).toBe(true);
  });
});

describe('a prose state saved with 32-bit hashes', () => {
  const fixture = readFileSync(join(packageRoot, 'test', 'fixtures', 'prose-state-fnv32.json'), 'utf8').trim();
  const { events } = generateLlmShop(201);
  const texts = events.filter((e) => e.stream === 'northwind-shop-replies' && typeof e.data === 'string').map((e) => e.data as string);
  const rest: ScoreInput[] = texts.slice(310).map((text, i) => ({ ts: 1_700_000_000_000 + (310 + i) * 1000, text }));
  const enc = new TextEncoder();

  /** The rest of the stream through score() in tasks of 100, from `state`. */
  function resume(state: string): { findings: Finding[]; state: Uint8Array } {
    let s: Uint8Array | null = enc.encode(state);
    const findings: Finding[] = [];
    for (let off = 0; off < rest.length; off += 100) {
      const r = score({ stream: 'replies', streamType: 'llm', state: s, events: enc.encode(JSON.stringify(rest.slice(off, off + 100))) });
      if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
      for (const f of r.findings) findings.push({ ...f, index: f.index + off });
      s = r.state;
    }
    return { findings, state: s };
  }

  it('loads, with its memory started empty (its last flag kept) and the rest of the state carried on', () => {
    const old = JSON.parse(fixture) as ProseState;
    const sn = old.sn as NonNullable<ProseState['sn']>;
    // The fixture is of the format before: 4-byte hashes, [event, hash] pairs, no w.
    expect(sn.w).toBeUndefined();
    expect(Buffer.from(sn.h, 'base64').length).toBe(228 * 4);
    expect(sn.q.length).toBe(18);
    expect(decodeProse(enc.encode(fixture)).n).toBe(310);
    const upgraded = resume(fixture);
    // Exactly as the same state with an empty memory of the new format and the same last flag.
    const emptied = resume(JSON.stringify({ ...old, sn: { h: '', p: 0, q: [], f: sn.f, w: 2 } }));
    expect(upgraded.findings).toEqual(emptied.findings);
    expect(Buffer.from(upgraded.state).equals(Buffer.from(emptied.state))).toBe(true);
    const s = decodeProse(upgraded.state);
    expect(s.n).toBe(310 + rest.length);
    expect(s.sn?.w).toBe(2);
    expect(Buffer.from(s.sn?.h ?? '', 'base64').length).toBeGreaterThan(0);
    expect(upgraded.findings.length).toBeGreaterThan(0);
  }, 120_000);
});
