// The single-pass normaliser and skeleton (text.ts) against the regular expressions they replaced: same output on the
// Loghub samples (when ../shared/datasets is present), the synthetic log and random strings made
// of the characters the alternatives turn on (digits, hex letters, dots, colons, dashes, x, _,
// whitespace of every kind).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalise, normaliseWide } from '../../workers/detectors/normalise.js';
import { skeleton } from '../../workers/detectors/text.js';
import { packageRoot } from '../../src/core/paths.js';
import { prng, syntheticLog } from '../../src/tools/demo/synthetic.js';

const TOKEN =
  /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b|0x[0-9a-fA-F]+|(?<![A-Za-z0-9])[0-9a-fA-F]{8,}(?![A-Za-z0-9])|\d+/g;

function classOf(tok: string): string {
  const c0 = tok.charCodeAt(0);
  if (tok.length === 36 && tok.charCodeAt(8) === 45) return '<UUID>';
  if (c0 === 48 && (tok.charCodeAt(1) | 32) === 120) return `<X${tok.length - 2}>`;
  if (tok.indexOf('.') > 0) return '<IP>';
  for (let i = 0; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (c < 48 || c > 57) return `<H${tok.length}>`;
  }
  return `<N${tok.length}>`;
}

/** The regular-expression skeleton (the reference). */
function skeletonReference(line: string, max: number): string {
  const k = line.replace(/<[A-Z]+\d*>/g, ' ').replace(/[^A-Za-z]+/g, ' ').replace(/(?:^| )[A-Za-z]{1,2}(?= |$)/g, ' ').replace(/ +/g, ' ').trim();
  return k.length > max ? k.slice(0, max) : k;
}

/** The regular-expression normaliser (the reference). */
function reference(line: string): string {
  return line.replace(TOKEN, classOf).replace(/\s+/g, ' ').trim();
}

describe('normalise() of ids joined by an underscore', () => {
  it('turns a long hex run after or before an underscore into its class token (txn_<hex>, as after a space)', () => {
    // Before, \b kept `txn_16719c13a5eee07b` as digits and letters: its runs of hex letters (eee)
    // became words of the line's skeleton, so one error's lines had many quarantine keys (issue 11).
    expect(normalise('msg="psp request failed" txn=txn_16719c13a5eee07b')).toBe('msg="psp request failed" txn=txn_<H16>');
    expect(normalise('cart_63fc4e2494f4 user_938900')).toBe('cart_<H12> user_<N6>');
    expect(normalise('deadbeefcafe_retry')).toBe('<H12>_retry');
    expect(normalise('xdeadbeef 1deadbeef')).toBe('xdeadbeef <H9>');
  });
});

describe('normalise() matches the regular expressions it replaced', () => {
  it('on crafted cases', () => {
    const cases = [
      '', ' ', '  a  ', '\u00a0x\u3000y\ufeff', 'a\u2028b', '10.0.3.17:443', '10.0.3.17:123456', '10.0.3.17:80a', '1.2.3.4.5', '1.2.3.4567', '1234.5.6.7',
      'a1.2.3.4', '_1.2.3.4', '1.2.3.4_', 'x0x1f', 'a0x1f', '0x', '0xg', '0X1f', 'deadbeef', 'deadbeefg', 'xdeadbeef', 'deadbeef_', '12345678', 'ab12345678',
      '3f2a9c1e-0b4d-4e6f-8a1b-2c3d4e5f6a7b', 'z3f2a9c1e-0b4d-4e6f-8a1b-2c3d4e5f6a7b9', '3f2a9c1e-0b4d-4e6f-8a1b-2c3d4e5f6a7', 'blk_-1608999687919862906', 'T12:34:56.789Z',
      '1.2.3', '01.02.03.04:0', 'ip=192.168.0.1,port', 'é1.2.3.4', '\t\n1\r\n',
      // A UUID that starts with a hex letter right after a word character (no boundary needed).
      'zf2a9c1e0-0b4d-4e6f-8a1b-2c3d4e5f6a7b', '_deadbeef-0b4d-4e6f-8a1b-2c3d4e5f6a7b', 'id=ab12cd34-0b4d-4e6f-8a1b-2c3d4e5f6a7b;', 'xab12cd34-0b4d-4e6f-8a1b-2c3d4e5f6a7',
      'txn=txn_7aee7e472b885b3b', 'ord_deadbeef12', 'a_b_12345678_', 'x__deadbeef', 'node_10.0.0.1', '_deadbeef',
    ];
    for (const c of cases) {
      expect(normalise(c), JSON.stringify(c)).toBe(reference(c));
      expect(normaliseWide(c), JSON.stringify(c)).toBe(reference(c));
    }
    for (const c of ['<N3>abc', 'ab<UUID>cde', '<<N3>x', '<A<B1>zzz', '<abc>', '<AB12', 'a bc def', ' ab cd ', 'Straße abc', 'x'.repeat(30)]) expect(skeleton(c, 20), c).toBe(skeletonReference(c, 20));
  });

  it('a hex id after an underscore (txn_<hex>, a prefixed id) is one class token, so its letters stay out of the skeleton', () => {
    expect(normalise('txn=txn_7aee7e472b885b3b')).toBe('txn=txn_<H16>');
    const a = normalise('level=error msg="psp request failed" psp=stripe txn=txn_7aee7e472b885b3b');
    const b = normalise('level=error msg="psp request failed" psp=stripe txn=txn_a819f2c368c998db');
    expect(a).toBe(b);
    expect(skeleton(a, 512)).toBe('level error msg psp request failed psp stripe txn txn');
    // An underscore bounds a hex run on both sides (<hex>_retry as well); a letter or digit next to
    // it does not (a word that merely ends in hex letters is not an id).
    expect(normalise('my_deadbeef_x xdeadbeef deadbeefz')).toBe('my_<H8>_x xdeadbeef deadbeefz');
  });

  it('on random strings of the characters that matter', () => {
    const r = prng(7);
    const alphabet = ['0', '1', '7', '9', 'a', 'f', 'F', 'g', 'x', 'X', '.', ':', '-', '_', ' ', '  ', '\t', '\u00a0', '\u2003', '=', '/', 'é', '0x', '1.2.3.4', 'deadbeef', '<', '>', 'N', '<N3>', 'abc', 'Zq',
      // UUID pieces (a UUID after an underscore or a letter), and characters that send normalise() to its wide path.
      '3f2a9c1e-', '0b4d-', '8a1b-2c3d4e5f6a7b', '_', 'ж', '\u0000', '\ud83d\ude00', '10.0.0.1:8080'];
    for (let k = 0; k < 20_000; k++) {
      let s = '';
      const len = Math.floor(r() * 24);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
      expect(normalise(s), JSON.stringify(s)).toBe(reference(s));
      // The concatenating path (any line) as well as the Latin-1 scratch-buffer path.
      expect(normaliseWide(s), JSON.stringify(s)).toBe(reference(s));
      expect(skeleton(s, 12), JSON.stringify(s)).toBe(skeletonReference(s, 12));
    }
  });

  it('on the synthetic log and the Loghub samples', () => {
    const lines = syntheticLog({ lines: 5000, anomalies: 20 }).lines;
    const dir = join(packageRoot, '..', 'shared', 'datasets', 'logs');
    if (existsSync(dir)) {
      for (const sub of readdirSync(dir)) {
        const d = join(dir, sub);
        if (!existsSync(d) || sub.includes('.')) continue;
        for (const f of readdirSync(d).filter((x) => x.endsWith('.log'))) lines.push(...readFileSync(join(d, f), 'utf8').split(/\r?\n/));
      }
    }
    let diff = 0;
    let skel = 0;
    for (const l of lines) {
      const x = normalise(l);
      if (x !== reference(l) || normaliseWide(l) !== x) diff++;
      if (skeleton(x, 512) !== skeletonReference(x, 512) || skeleton(l, 40) !== skeletonReference(l, 40)) skel++;
    }
    expect(diff).toBe(0);
    expect(skel).toBe(0);
  });
});
