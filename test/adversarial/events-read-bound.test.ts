// Issue 12, item 3: reading events back is bounded. 5,000 highly compressible 64 KB events
// (40 blocks of 125, as the engine writes a batch of one stream): a deep page
// (limit=1000&offset=4000) used to decode every block up to it and answer 62 MiB in one go. Now
// a page stops at the read bounds with a next_cursor (and next_offset while the offset is not
// used up), each answer stays under the response bound, and following the cursor gives exactly
// the events of the page asked for, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, DEFAULT_CODEC } from '../../src/core/blocks.js';
import { listEvents } from '../../src/core/event-blocks.js';
import { call, signUp, startHarness, type Harness, type SignedUp } from '../control/harness.js';

const EVENTS = 5_000;
const PER_BLOCK = 125;
const EVENT_BYTES = 64 * 1024 - 200;
const T0 = Date.parse('2026-11-01T00:00:00Z');
// The defaults: the test shows what a server as shipped does.
const MAX_DECODED = 32 * 1024 * 1024;
const MAX_RESPONSE = 8 * 1024 * 1024;

let h: Harness;
let alice: SignedUp;

beforeAll(async () => {
  h = await startHarness();
  alice = await signUp(h.app, 'Alice');
  for (let b = 0; b < EVENTS / PER_BLOCK; b++) {
    const rows = [];
    for (let i = 0; i < PER_BLOCK; i++) {
      const n = b * PER_BLOCK + i;
      rows.push([T0 + n * 1000, `${n} ${'a'.repeat(EVENT_BYTES)}`, { n }]);
    }
    const first = T0 + b * PER_BLOCK * 1000;
    await h.db.pool.query(
      `INSERT INTO event_blocks (tenant_id, stream, stream_type, first_ts, last_ts, count, first_index, codec, payload)
       VALUES ($1, 'web', 'logs', $2, $3, $4, 0, $5, $6)`,
      [alice.user.tenant_id, new Date(first).toISOString(), new Date(first + (PER_BLOCK - 1) * 1000).toISOString(), PER_BLOCK,
        DEFAULT_CODEC, compress(DEFAULT_CODEC, JSON.stringify(rows))],
    );
  }
}, 120_000);
afterAll(async () => { await h?.close(); });

/** The n of an event: newest first, so the event at position p of the listing is EVENTS - 1 - p. */
const nOf = (e: { metadata: { n: number } }): number => e.metadata.n;

describe('GET /api/v1/events is bounded per request', () => {
  it('a deep page ends early under the bounds, and its cursor gives exactly the page asked for', async () => {
    let url = '/api/v1/events?limit=1000&offset=4000';
    const got: number[] = [];
    let pages = 0;
    for (; pages < 200; pages++) {
      const res = await h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${alice.token}` } });
      expect(res.statusCode).toBe(200);
      // The envelope adds a few hundred bytes; one event may go past the bound (at least one always goes).
      expect(res.rawPayload.length).toBeLessThan(MAX_RESPONSE + 64 * 1024 + 1024);
      const body = JSON.parse(res.body) as { events: { metadata: { n: number } }[]; next_cursor?: string; next_offset?: number };
      got.push(...body.events.map(nOf));
      if (got.length >= 1000 || body.next_cursor === undefined) break;
      expect(body.events.length > 0 || body.next_offset !== undefined).toBe(true);
      url = `/api/v1/events?limit=${1000 - got.length}&offset=${body.next_offset ?? 0}&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    // More than one page: the 62 MiB answer is cut.
    expect(pages).toBeGreaterThan(1);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, p) => EVENTS - 1 - 4000 - p));
  }, 300_000);

  it('decodes no more than the bound (plus the one block that crosses it) per request', async () => {
    const blockBytes = PER_BLOCK * (EVENT_BYTES + 40);
    let cursor: string | undefined;
    let offset = 4000;
    for (let k = 0; k < 5; k++) {
      const page = await listEvents(h.db.pool, alice.user.tenant_id, { limit: 1000, offset, cursor },
        { maxDecodedBytes: MAX_DECODED, maxResponseBytes: MAX_RESPONSE });
      expect(page.decodedBytes).toBeLessThanOrEqual(MAX_DECODED + blockBytes);
      expect(page.next_cursor).toBeDefined();
      cursor = page.next_cursor;
      offset = page.next_offset ?? 0;
    }
  }, 120_000);

  it('a cursor from an impossible time answers 200, not 500', async () => {
    const r = await call(h.app, 'GET', '/api/v1/events?limit=1&cursor=999999999999999_1_0', { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.events).toHaveLength(1);
    const r2 = await call(h.app, 'GET', '/api/v1/events?limit=1&cursor=-999999999999999_1_0', { token: alice.token });
    expect(r2.status).toBe(200);
    expect(r2.body.events).toHaveLength(0);
  });
});
