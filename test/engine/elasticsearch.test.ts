// Elasticsearch bulk (issue 13): the official client @elastic/elasticsearch talks to the engine
// as to Elasticsearch: its product check passes, its bulk helper stores documents (index ─► stream,
// @timestamp ─► timestamp, the rest ─► data and metadata), a refused document comes back as a
// dropped item with its status and our code; update/delete and a missing index are refused per
// item; the client's gzip compression works.
import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../helpers/events.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let es: Client;
beforeAll(async () => {
  h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 });
  es = new Client({ node: h.url, auth: { apiKey: h.tenantA.key } });
});
afterAll(async () => { await es?.close(); await h?.close(); });

const rowsOf = async (stream: string): Promise<{ ts: string; data: unknown; metadata: any }[]> =>
  (await storedEvents(h.db.pool, { tenantId: h.tenantA.id, stream })).map((e) => ({ ts: e.ts.toISOString(), data: e.data, metadata: e.metadata }));

describe('Elasticsearch API', () => {
  it('answers the product handshake the client checks', async () => {
    const info = await es.info();
    expect(info.version.number).toMatch(/^8\./);
    expect(info.tagline).toBe('You Know, for Search');
    const head = await fetch(`${h.url}/`, { method: 'HEAD' });
    expect([head.status, head.headers.get('x-elastic-product')]).toEqual([200, 'Elasticsearch']);
    const bad = new Client({ node: h.url, auth: { apiKey: 'dw_not_a_key' } });
    await expect(bad.info()).rejects.toMatchObject({ meta: { statusCode: 401 } });
    await bad.close();
  });

  it('stores what the bulk helper sends, and reports the refused document as dropped', async () => {
    const docs = [
      { '@timestamp': '2026-12-04T10:00:00.123Z', message: 'GET /cart 200', host: { name: 'web-1' }, log: { level: 'info' }, stream: 'stdout' },
      { '@timestamp': '2020-02-30T00:00:00Z', message: 'impossible date' },
      { '@timestamp': 1764842401000, message: 'epoch ms' },
      { '@timestamp': '2026-12-04T10:00:02Z', cpu: 0.93, mem: 512 },
    ];
    const dropped: { status: number; error: any; document: unknown }[] = [];
    const stats = await es.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: 'logs-checkout-2026.12.04' } }),
      onDrop: (d) => { dropped.push(d); },
      retries: 0,
    });
    expect(stats).toMatchObject({ total: 4, successful: 3, failed: 1 });
    expect(dropped).toEqual([{
      status: 400, document: docs[1], retried: false, operation: { create: { _index: 'logs-checkout-2026.12.04' } },
      error: { type: 'document_parsing_exception', code: 'DW_ERR_INVALID_TIMESTAMP', reason: expect.stringContaining('item 1') },
    }]);
    expect(await rowsOf('logs-checkout')).toEqual([
      { ts: '2026-12-04T10:00:00.123Z', data: 'GET /cart 200', metadata: { host: { name: 'web-1' }, log: { level: 'info' }, stream: 'stdout' } },
      { ts: '2025-12-04T10:00:01.000Z', data: 'epoch ms', metadata: null },
      { ts: '2026-12-04T10:00:02.000Z', data: { '@timestamp': '2026-12-04T10:00:02Z', cpu: 0.93, mem: 512 }, metadata: null },
    ]);
  });

  it('answers update, delete and an item without an index per item; /{index}/_bulk names the index', async () => {
    const r = await es.bulk({
      operations: [
        { update: { _index: 'x', _id: '1' } }, { doc: { a: 1 } },
        { delete: { _index: 'x', _id: '1' } },
        { index: {} }, { message: 'no index' },
        { index: { _index: 'apps' } }, { message: 'kept' },
      ],
    });
    expect(r.errors).toBe(true);
    expect(r.items.map((i) => Object.entries(i).map(([k, v]) => [k, v.status, v.error?.type]))).toEqual([
      [['update', 400, 'illegal_argument_exception']], [['delete', 400, 'illegal_argument_exception']],
      [['index', 400, 'document_parsing_exception']], [['index', 201, undefined]],
    ]);
    const byUrl = await es.bulk({ index: 'web-2026.12.04', operations: [{ index: {} }, { message: 'from the URL' }] });
    expect(byUrl.errors).toBe(false);
    expect(byUrl.items[0].index).toMatchObject({ _index: 'web-2026.12.04', status: 201, result: 'created' });
    expect((await rowsOf('web')).map((e) => e.data)).toEqual(['from the URL']);
    expect((await rowsOf('apps')).map((e) => e.data)).toEqual(['kept']);
  });

  it('reads the gzip bodies of a client with compression on', async () => {
    const gz = new Client({ node: h.url, auth: { username: 'elastic', password: h.tenantA.key }, compression: true });
    const docs = Array.from({ length: 20 }, (_, i) => ({ '@timestamp': `2026-12-04T11:00:${String(i).padStart(2, '0')}Z`, message: `zipped ${i}` }));
    const stats = await gz.helpers.bulk({ datasource: docs, onDocument: () => ({ index: { _index: 'gz' } }) });
    expect(stats).toMatchObject({ total: 20, successful: 20, failed: 0 });
    expect((await rowsOf('gz')).map((e) => e.data)).toEqual(docs.map((d) => d.message));
    await gz.close();
  });

  it('refuses a malformed action line whole, in Elasticsearch\'s error shape with our code', async () => {
    const err: unknown = await es.bulk({ operations: [{ frobnicate: {} } as never, { message: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect((err as errors.ResponseError).meta.statusCode).toBe(400);
    expect((err as errors.ResponseError).meta.body).toMatchObject({ status: 400, error: { code: 'DW_ERR_MALFORMED_BODY', type: 'parse_exception' } });
  });
});
