import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, ingest, logEvent, startHarness, type Harness } from './harness.js';
import { storedEvents } from '../helpers/events.js';

let h: Harness;
const MAX_BODY = 64 * 1024;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 1000, maxBodyBytes: MAX_BODY, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

const body = (tag: string): Buffer => Buffer.from(JSON.stringify([logEvent(`${tag} 1`, { stream: `ce-${tag}` }), logEvent(`${tag} 2`, { stream: `ce-${tag}` })]));

describe('Content-Encoding on POST /api/v1/events/ingest', () => {
  it.each([
    ['gzip', 'gzip', gzipSync], ['x-gzip', 'x-gzip', gzipSync], ['deflate', 'zlib', deflateSync], ['deflate', 'raw', deflateRawSync],
    ['br', 'br', brotliCompressSync], ['identity', 'identity', (b: Buffer) => b],
  ] as const)('reads %s bodies (%s)', async (encoding, tag, compress) => {
    const before = await countEvents(h, h.tenantA.id);
    const r = await ingest(h, null, { raw: compress(body(tag)), headers: { 'content-encoding': encoding } });
    expect(r).toEqual({ status: 200, body: { accepted: 2 } });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
    const rows = (await storedEvents(h.db.pool, { tenantId: h.tenantA.id })).filter((x) => x.stream === `ce-${tag}`);
    expect(rows.map((x) => x.data).sort()).toEqual([`${tag} 1`, `${tag} 2`]);
  });

  it('applies the body limit to the decompressed size (a bomb stops at the limit)', async () => {
    const before = await countEvents(h);
    // About 4 MiB of JSON that compresses to a few KiB: far under the limit on the wire.
    const bomb = Buffer.from(JSON.stringify([logEvent('a'.repeat(4 * 1024 * 1024))]));
    for (const [enc, z] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
      const wire = z(bomb);
      expect(wire.length).toBeLessThan(MAX_BODY);
      const r = await ingest(h, null, { raw: wire, headers: { 'content-encoding': enc } });
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
    }
    expect(await countEvents(h)).toBe(before);
  });

  it('refuses a body that is not what it says, and an encoding it does not read', async () => {
    const bad = await ingest(h, null, { raw: Buffer.from('not gzip'), headers: { 'content-encoding': 'gzip' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('DW_ERR_MALFORMED_BODY');
    const zstd = await ingest(h, null, { raw: body('z'), headers: { 'content-encoding': 'zstd' } });
    expect(zstd.status).toBe(415);
    expect(zstd.body.error.code).toBe('DW_ERR_UNSUPPORTED_MEDIA_TYPE');
  });
});
