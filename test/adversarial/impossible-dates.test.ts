// Low (issue 12): impossible dates were silently moved (2020-02-30 became 2020-03-01); now refused
// (DW_ERR_INVALID_TIMESTAMP since transforms/timestamps.ts reads every timestamp).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from '../control/harness.js';
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

// Found by a second pass (issue 12, lows): the series route read its own `from`/`to` with
// Date.parse, which moved 2020-02-30 to 2020-03-01 (200, a series of another day).
describe('the series route refuses impossible dates in from/to', () => {
  let h: Harness;
  let alice: SignedUp;
  beforeAll(async () => { h = await startHarness(); alice = await signUp(h.app, 'Alice'); });
  afterAll(async () => { await h?.close(); });

  it.each([
    'from=2020-02-30T00:00:00Z&to=2020-03-05T00:00:00Z', 'from=2021-02-29&to=2021-03-05',
    'from=2020-04-31T00:00:00Z&to=2020-05-05T00:00:00Z', 'from=2020-01-01T00:00:00Z&to=2020-02-30T00:00:00Z',
  ])('%s: 400 DW_ERR_VALIDATION', async (q) => {
    const r = await call(h.app, 'GET', `/api/v1/streams/x/series?${q}`, { token: alice.token });
    expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });

  it('real dates, leap days included, still answer', async () => {
    const r = await call(h.app, 'GET', '/api/v1/streams/x/series?from=2020-02-29T00:00:00Z&to=2020-03-02T00:00:00Z', { token: alice.token });
    expect(r.status).toBe(200);
    expect((r.body as { from: string }).from).toBe('2020-02-29T00:00:00.000Z');
  });
});
