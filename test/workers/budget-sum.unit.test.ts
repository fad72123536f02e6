// The per-stream budget's parts add up to their wholes (workers/detectors/budget.ts): the text
// side's parts to STATE_BUDGET.text, and templates, sessions and text to STATE_BUDGET.stream. Before
// 6 Dec 2026 the text side's parts summed to 260 KiB against the 256 KiB documented and tested.
import { describe, expect, it } from 'vitest';
import { STATE_BUDGET, TEXT_BUDGET } from '../../workers/detectors/budget.js';

describe('state budget arithmetic', () => {
  it('the text side parts sum to the text budget', () => {
    const sum = Object.values(TEXT_BUDGET).reduce((a, b) => a + b, 0);
    expect(sum).toBe(STATE_BUDGET.text);
  });

  it('templates, sessions and text sum to the stream budget', () => {
    expect(STATE_BUDGET.templates + STATE_BUDGET.sessions + STATE_BUDGET.text).toBe(STATE_BUDGET.stream);
  });
});
