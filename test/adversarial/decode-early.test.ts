// High 2 (issue 12), on the wire: a msgpack body that opens with an array of more events than its
// tenant may send is refused from its first bytes, once the credential is accepted, without
// waiting for (or buffering) the rest; over the engine's own MAX_BATCH_EVENTS (every tenant's
// ceiling), before the credential is even looked up. On main the engine read all 14.3 MiB of 15 M empty maps
// before the prescan refused it, which kept the event loop copying the body of every attacker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { startHarness, type Harness } from '../engine/harness.js';
import { RawRequest } from '../helpers/raw-request.js';

let h: Harness;
let business: string;
beforeAll(async () => {
  h = await startHarness();
  const t = await createTenant(h.db.pool, 'Business B', 'business');
  business = (await createApiKey(h.db.pool, t.id)).key;
});
afterAll(async () => { await h?.close(); });

/** The first `n` bytes of a msgpack array32 of `count` empty maps. */
function headOf(count: number, n: number): Buffer {
  const b = Buffer.alloc(n, 0x80);
  b[0] = 0xdd;
  b.writeUInt32BE(count, 1);
  return b;
}

describe('a msgpack body is refused from its head (issue 12, High 2)', () => {
  it('15 M events declared in 14.3 MiB: 413 DW_ERR_TOO_MANY_EVENTS after its first 64 KiB, the rest never sent (answered once under the minimum rate)', async () => {
    const length = 5 + 15_000_000;
    const r = RawRequest.post(h.engine.port, '/api/v1/events/ingest', `Bearer ${business}`, length, headOf(15_000_000, 64 * 1024), 'application/msgpack');
    try {
      // On main: no answer until the remaining 14.2 MiB arrive (they never do here).
      const res = await r.response(15_000);
      expect(res.status).toBe(413);
      const body = JSON.parse(res.body) as { error: { code: string; details: { limit: number; source: string } } };
      expect(body.error.code).toBe('DW_ERR_TOO_MANY_EVENTS');
      expect(body.error.details.limit).toBe(10_000);
    } finally {
      r.destroy();
    }
  });

  it('over the engine\'s own MAX_BATCH_EVENTS: refused from its head before the credential is even looked up (no wait on PostgreSQL)', async () => {
    // A key never used (not in the resolver's cache), whose lookup cannot finish: api_keys is locked.
    const t = await createTenant(h.db.pool, 'Business C', 'business');
    const fresh = (await createApiKey(h.db.pool, t.id)).key;
    const locker = await h.db.pool.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');
    let released = false;
    const r = RawRequest.post(h.engine.port, '/api/v1/events/ingest', `Bearer ${fresh}`, 5 + 15_000_000, headOf(15_000_000, 64 * 1024), 'application/msgpack');
    try {
      // The rest of the body too: a refusal is written once the body ended (engine/sources/discard.ts).
      r.send(Buffer.alloc(5 + 15_000_000 - 64 * 1024, 0x80));
      // Before: no answer while the key lookup waits (the head was checked only once authenticated).
      const res = await r.response(5_000);
      expect(released).toBe(false);
      expect(res.status).toBe(413);
      const body = JSON.parse(res.body) as { error: { code: string; message: string; details: { limit: number; source: string } } };
      expect(body.error.code).toBe('DW_ERR_TOO_MANY_EVENTS');
      expect(body.error.details).toMatchObject({ limit: 10_000, source: 'config' });
      expect(body.error.message).toContain('the engine\'s setting');
    } finally {
      r.destroy();
      released = true;
      await locker.query('ROLLBACK');
      locker.release();
    }
  });

  it('a body within the limit is still read whole and stored', async () => {
    const { pack } = await import('msgpackr');
    const events = Array.from({ length: 3 }, (_, i) => ({ timestamp: Date.now(), stream_type: 'logs', stream: 'head-ok', data: `line ${i}` }));
    const payload = pack(events);
    const r = RawRequest.post(h.engine.port, '/api/v1/events/ingest', `Bearer ${business}`, payload.length, payload.subarray(0, 3), 'application/msgpack');
    try {
      r.send(payload.subarray(3));
      const res = await r.response(15_000);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ accepted: 3 });
    } finally {
      r.destroy();
    }
  });
});
