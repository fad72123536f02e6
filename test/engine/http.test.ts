import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, ingest, logEvent, startHarness, type Harness } from './harness.js';
import { countStored, maxBlockId, storedEvents } from '../helpers/events.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

describe('engine HTTP source', () => {
  it('GET /health answers ok', async () => {
    const res = await fetch(`${h.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('stores a JSON array before answering, with the derived stream key', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const r = await ingest(h, [
      logEvent('hello one'),
      { timestamp: 1_700_000_000_000, stream_type: 'metrics', data: { value: 3.5 }, metadata: { source: 'cpu', host: 'a' } },
      { timestamp: '2024-01-02T03:04:05.678Z', stream_type: 'traces', data: { span: 'x\ty\nz\\' }, stream: 'custom-stream' },
      { timestamp: 1_700_000_000_001, stream_type: 'llm', data: 'prompt' },
    ]);
    expect(r).toEqual({ status: 200, body: { accepted: 4 } });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 4);
    // The batch's four streams are four blocks, the last four written.
    const rows = await storedEvents(h.db.pool, { tenantId: h.tenantA.id, afterBlock: (await maxBlockId(h.db.pool)) - 4 });
    expect(rows.map((x) => x.stream)).toEqual(['logs:api', 'metrics:cpu', 'custom-stream', 'llm:default']);
    expect(rows[1].data).toEqual({ value: 3.5 });
    expect(rows[1].metadata).toEqual({ source: 'cpu', host: 'a' });
    expect(rows[2].data).toEqual({ span: 'x\ty\nz\\' });
    expect(rows[2].ts.toISOString()).toBe('2024-01-02T03:04:05.678Z');
    expect(rows[3].metadata).toBeNull();
  });

  it('accepts a single object, NDJSON and msgpack', async () => {
    const before = await countEvents(h, h.tenantA.id);
    expect(await ingest(h, logEvent('single'))).toEqual({ status: 200, body: { accepted: 1 } });
    const nd = [logEvent('nd 1'), logEvent('nd 2'), logEvent('nd 3')].map((e) => JSON.stringify(e)).join('\n') + '\n';
    expect(await ingest(h, null, { contentType: 'application/x-ndjson', raw: nd })).toEqual({ status: 200, body: { accepted: 3 } });
    expect(await ingest(h, [logEvent('mp 1'), logEvent('mp 2')], { contentType: 'application/msgpack' })).toEqual({ status: 200, body: { accepted: 2 } });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 6);
    const rows = (await storedEvents(h.db.pool, { tenantId: h.tenantA.id })).filter((x) => x.data === 'mp 2');
    expect(rows).toHaveLength(1);
  });

  it('answers errors with stable codes and stores nothing of a refused batch', async () => {
    const before = await countEvents(h);
    const malformed = await ingest(h, null, { raw: '[{"timestamp": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('DW_ERR_MALFORMED_BODY');

    // All or nothing when asked (?atomic=true): the first refusal, naming every rejected event.
    const bad = await fetch(`${h.url}/api/v1/events/ingest?atomic=true`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}` },
      body: JSON.stringify([logEvent('ok'), { timestamp: 'yesterday', stream_type: 'logs', data: 'x' }]),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({ code: 'DW_ERR_INVALID_TIMESTAMP', details: { index: 1, rejected: [{ index: 1, code: 'DW_ERR_INVALID_TIMESTAMP' }] } });

    const nulStream = await ingest(h, [logEvent('x', { stream: 'a\u0000b' })]);
    expect(nulStream.body.error).toMatchObject({ code: 'DW_ERR_INVALID_EVENT', details: { index: 0 } });

    const metric = await ingest(h, [{ timestamp: 1, stream_type: 'metrics', data: 'high' }]);
    expect(metric.body.error).toMatchObject({ code: 'DW_ERR_INVALID_EVENT', details: { index: 0 } });

    const many = await ingest(h, Array.from({ length: 101 }, (_, i) => logEvent(`e${i}`)));
    expect(many.status).toBe(413);
    expect(many.body.error.code).toBe('DW_ERR_TOO_MANY_EVENTS');

    const bigEvent = await ingest(h, [logEvent('x'.repeat(5000))]);
    expect(bigEvent.status).toBe(413); // nothing valid: the one refusal, whole
    expect(bigEvent.body.error).toMatchObject({ code: 'DW_ERR_PAYLOAD_TOO_LARGE', details: { index: 0 } });

    const empty = await ingest(h, null, { raw: '' });
    expect(empty.body.error.code).toBe('DW_ERR_MALFORMED_BODY');
    expect(await ingest(h, [])).toEqual({ status: 200, body: { accepted: 0 } });

    const media = await ingest(h, null, { contentType: 'text/csv', raw: 'a,b' });
    expect(media.status).toBe(415);
    expect(media.body.error.code).toBe('DW_ERR_UNSUPPORTED_MEDIA_TYPE');

    const badUtf8 = await ingest(h, null, { raw: new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]) });
    expect(badUtf8.body.error.code).toBe('DW_ERR_INVALID_UTF8');

    expect(await countEvents(h)).toBe(before);

    // A NUL inside data is no reason to refuse the event: it is stored as U+FFFD.
    const nulData = await ingest(h, [logEvent('a\u0000b')]);
    expect(nulData).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(await countEvents(h)).toBe(before + 1);
  });

  it('refuses a body over maxBodyBytes with 413 while streaming', async () => {
    const big = JSON.stringify(Array.from({ length: 90 }, () => logEvent('y'.repeat(1000))));
    expect(big.length).toBeGreaterThan(64 * 1024);
    const r = await ingest(h, null, { raw: big });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
    // Without a declared length (a chunked body), the limit still holds and nothing is stored.
    const before = await countEvents(h);
    const chunk = new TextEncoder().encode('"z",'.repeat(1000));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('['));
        for (let i = 0; i < 20; i++) c.enqueue(chunk);
        c.enqueue(new TextEncoder().encode('"z"]'));
        c.close();
      },
    });
    const res = await fetch(`${h.url}/api/v1/events/ingest`, {
      method: 'POST', body: stream, duplex: 'half',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}` },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
    expect(await countEvents(h)).toBe(before);
  });

  it('stores a year-1500 timestamp and refuses year 0 (timestamptz range of the ISO 4-digit form)', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const old = await ingest(h, [logEvent('renaissance', { timestamp: '1500-06-01T12:00:00.000Z', stream: 'year-1500' })]);
    expect(old).toEqual({ status: 200, body: { accepted: 1 } });
    const first = await ingest(h, [logEvent('first day', { timestamp: '0001-01-01T00:00:00.000Z', stream: 'year-1500' })]);
    expect(first).toEqual({ status: 200, body: { accepted: 1 } });
    const rows = (await storedEvents(h.db.pool, { tenantId: h.tenantA.id, stream: 'year-1500' })).sort((a, b) => a.ts.getTime() - b.ts.getTime());
    expect(rows.map((r) => r.ts.toISOString().slice(0, 16).replace('T', ' '))).toEqual(['0001-01-01 00:00', '1500-06-01 12:00']);
    // The block's time range is stored as timestamptz too (what GET /api/v1/events filters on).
    const { rows: ranges } = await h.db.pool.query("SELECT to_char(first_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS t FROM event_blocks WHERE tenant_id = $1 AND stream = 'year-1500' ORDER BY first_ts", [h.tenantA.id]);
    expect(ranges.map((r) => r.t)).toEqual(['0001-01-01 00:00', '1500-06-01 12:00']);
    const zero = await ingest(h, [logEvent('year zero', { timestamp: '0000-12-31T23:59:59.999Z' })]);
    expect(zero.status).toBe(400);
    expect(zero.body.error).toMatchObject({ code: 'DW_ERR_INVALID_TIMESTAMP', details: { index: 0 } });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
  });

  it('authenticates: 401 without or with a bad key, 403 without the ingest scope, JWT accepted', async () => {
    const none = await ingest(h, [logEvent('x')], { key: '' });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('DW_ERR_UNAUTHORIZED');
    const wrong = await ingest(h, [logEvent('x')], { key: 'dw_' + 'A'.repeat(32) });
    expect(wrong.status).toBe(401);
    const ro = await ingest(h, [logEvent('x')], { key: h.tenantA.readKey });
    expect(ro.status).toBe(403);
    expect(ro.body.error.code).toBe('DW_ERR_FORBIDDEN');
    // A signed-in user of tenant B: a token is honoured only while its session is active.
    const { rows: [user] } = await h.db.pool.query(
      "INSERT INTO users (tenant_id, email, username, password_hash) VALUES ($1, 'b@example.com', 'b-user', 'x') RETURNING id", [h.tenantB.id]);
    const { rows: [session] } = await h.db.pool.query('INSERT INTO sessions (user_id) VALUES ($1) RETURNING id', [user.id]);
    const jwt = await h.tokens.sign({ sub: user.id, email: 'b@example.com', role: 'owner', tenant_id: h.tenantB.id, session_id: session.id });
    const fake = await h.tokens.sign({ sub: user.id, email: 'b@example.com', role: 'owner', tenant_id: h.tenantB.id, session_id: '00000000-0000-0000-0000-000000000009' });
    expect((await ingest(h, [logEvent('x')], { key: fake })).status).toBe(401);
    const before = await countEvents(h, h.tenantB.id);
    expect(await ingest(h, [logEvent('via jwt')], { key: jwt })).toEqual({ status: 200, body: { accepted: 1 } });
    expect(await countEvents(h, h.tenantB.id)).toBe(before + 1);
  });

  it('stores a batch with an Idempotency-Key once and counts usage once', async () => {
    const usage = async (): Promise<{ events: number; bytes: number }> => {
      const { rows } = await h.db.pool.query('SELECT coalesce(sum(events), 0)::int AS events, coalesce(sum(bytes), 0)::int AS bytes FROM usage_counters WHERE tenant_id = $1', [h.tenantB.id]);
      return rows[0];
    };
    const before = await countEvents(h, h.tenantB.id);
    const u0 = await usage();
    const batch = [logEvent('idem 1'), logEvent('idem 2'), logEvent('idem 3')];
    const headers = { 'idempotency-key': 'batch-42' };
    expect(await ingest(h, batch, { key: h.tenantB.key, headers })).toEqual({ status: 200, body: { accepted: 3 } });
    // Concurrent resends: all acknowledged as duplicates, none stored.
    const again = await Promise.all([1, 2, 3].map(() => ingest(h, batch, { key: h.tenantB.key, headers })));
    for (const r of again) expect(r).toEqual({ status: 200, body: { accepted: 3, duplicate: true } });
    expect(await countEvents(h, h.tenantB.id)).toBe(before + 3);
    const u1 = await usage();
    expect(u1.events - u0.events).toBe(3);
    expect(u1.bytes - u0.bytes).toBeGreaterThan(0);
    // The same key in another tenant is another batch.
    expect(await ingest(h, batch, { headers })).toEqual({ status: 200, body: { accepted: 3 } });
  });

  it('keeps tenants apart under concurrent load (rows carry their tenant; an invalid batch among them is refused alone)', async () => {
    const a0 = await countEvents(h, h.tenantA.id);
    const b0 = await countEvents(h, h.tenantB.id);
    const reqs: Promise<{ status: number; body: any }>[] = [];
    for (let i = 0; i < 40; i++) {
      const tenant = i % 2 === 0 ? h.tenantA : h.tenantB;
      reqs.push(ingest(h, Array.from({ length: 25 }, (_, j) => logEvent(`iso ${i} ${j}`, { stream: `iso-${tenant.id}` })), { key: tenant.key }));
    }
    // An invalid batch among them (refused in validation, before storage) fails alone.
    reqs.push(ingest(h, [logEvent('bad', { stream: 5 })], { key: h.tenantB.key }));
    const out = await Promise.all(reqs);
    expect(out.slice(0, 40).every((r) => r.status === 200 && r.body.accepted === 25)).toBe(true);
    expect(out[40].status).toBe(400);
    expect(await countEvents(h, h.tenantA.id)).toBe(a0 + 500);
    expect(await countEvents(h, h.tenantB.id)).toBe(b0 + 500);
    expect(await countStored(h.db.pool, 'stream <> $1 AND stream LIKE $2 AND tenant_id = $3', [`iso-${h.tenantA.id}`, 'iso-%', h.tenantA.id])).toBe(0);
  });

  it('answers 404 and 405 as JSON errors', async () => {
    const nf = await fetch(`${h.url}/nope`);
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: { code: string } }).error.code).toBe('DW_ERR_NOT_FOUND');
    const m = await fetch(`${h.url}/api/v1/events/ingest`);
    expect(m.status).toBe(405);
  });
});
