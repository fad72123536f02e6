// Low (issue 12): impossible dates were silently moved (2020-02-30 became 2020-03-01); now refused
// (DW_ERR_INVALID_TIMESTAMP since transforms/timestamps.ts reads every timestamp).
import { describe, expect, it } from 'vitest';
import { validateEvents } from '../../engine/transforms/decode.js';

const limits = { maxBatchEvents: 10, maxEventBytes: 1024 };
const at = (timestamp: string) => () => validateEvents([{ timestamp, stream_type: 'logs', data: 'x' }], limits);

describe('impossible dates are refused, not moved', () => {
  it('refuses days a month does not have', () => {
    for (const t of ['2020-02-30', '2021-02-29T00:00:00Z', '2020-04-31T12:00:00Z', '2020-13-01', '2020-00-10']) {
      expect(at(t), t).toThrow(expect.objectContaining({ code: 'DW_ERR_INVALID_TIMESTAMP' }));
    }
  });

  it('takes the real ones, leap days included', () => {
    expect(validateEvents([{ timestamp: '2020-02-29T00:00:00Z', stream_type: 'logs', data: 'x' }], limits)[0].ts).toBe(Date.UTC(2020, 1, 29));
    expect(validateEvents([{ timestamp: '2000-02-29', stream_type: 'logs', data: 'x' }], limits)[0].ts).toBe(Date.UTC(2000, 1, 29));
    expect(validateEvents([{ timestamp: '2021-04-30T23:59:59.999Z', stream_type: 'logs', data: 'x' }], limits)).toHaveLength(1);
  });
});
