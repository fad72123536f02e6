// The deflates the text detector pays per line (text.ts #costed): the line against the stream's
// dictionary, and at most one deflate of the line alone (for the typical compression ratio every
// RATIO_EVERY-th null insertion, and for the finding's ratio), never two of the same bytes.
import { describe, expect, it } from 'vitest';
import { deflateCalls } from '../../workers/detectors/deflate.js';
import { TEXT_PARAMS, TextScorer, freshTextState } from '../../workers/detectors/text.js';
import { RATIO_EVERY } from '../../workers/detectors/text-null.js';
import { prng } from '../../src/tools/demo/synthetic.js';

describe('text detector deflates per line', () => {
  it('a line reported below 0.5 (a sensitive threshold) that is also ratio-sampled is deflated alone once', () => {
    const scorer = new TextScorer(freshTextState(), TEXT_PARAMS);
    const r = prng(3);
    const words = ['alpha', 'beta', 'gamma', 'delta', 'kappa', 'sigma', 'omega', 'rho', 'tau', 'phi', 'chi', 'psi'];
    let both = 0;
    for (let i = 0; i < 3000; i++) {
      const n = 3 + Math.floor(r() * 6);
      let text = 'svc';
      for (let k = 0; k < n; k++) text += ` ${words[Math.floor(r() * words.length)]}${r() < 0.3 ? words[Math.floor(r() * words.length)] : ''}`;
      const sampled = scorer.s.ins % RATIO_EVERY === 0;
      const before = deflateCalls;
      const f = scorer.feed(text, 0.05, undefined, undefined, i);
      const calls = deflateCalls - before;
      expect(calls).toBeLessThanOrEqual(2);
      if (f !== null && f.details?.baselined === true && sampled) {
        both++;
        expect(calls).toBe(2);
      }
    }
    expect(both).toBeGreaterThan(0);
  });
});
