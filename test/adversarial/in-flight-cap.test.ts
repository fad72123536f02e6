// Medium 7 (issue 12): the in-flight cap of a tenant over its share (transforms/turns.ts enter)
// on every body-carrying HTTP source, not only the WebSocket. On main a heavy tenant's HTTP,
// OTLP/HTTP and push (Loki, Elasticsearch, Splunk HEC) requests were decoded and stored all at
// once, however many it had in flight, while another tenant was active; here its requests past
// the cap wait (authenticated, within its limits, undecoded), and each is still answered and stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEAVY_IN_FLIGHT } from '../../engine/transforms/turns.js';
import { countEvents, logEvent, startHarness, type Harness } from '../engine/harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 1_000 }); });
afterAll(async () => { await h?.close(); });

const N = 500;
const line = (i: number): string => `GET /api/v1/items/${i} 200 ${'x'.repeat(150)}`;
const nowNs = (): string => `${BigInt(Date.now()) * 1_000_000n}`;

/** Each source: a body of n events, its path, content type and the status of a stored batch. */
const sources: { name: string; path: string; contentType: string; ok: number; body(n: number, tag: string): string }[] = [
  {
    name: 'POST /api/v1/events/ingest', path: '/api/v1/events/ingest', contentType: 'application/json', ok: 200,
    body: (n, tag) => JSON.stringify(Array.from({ length: n }, (_, i) => logEvent(line(i), { stream: tag }))),
  },
  {
    name: 'OTLP/HTTP JSON /v1/logs', path: '/v1/logs', contentType: 'application/json', ok: 200,
    body: (n, tag) => JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: tag } }] }, scopeLogs: [{ logRecords: Array.from({ length: n }, (_, i) => ({ timeUnixNano: nowNs(), body: { stringValue: line(i) } })) }] }] }),
  },
  {
    name: 'Loki push', path: '/loki/api/v1/push', contentType: 'application/json', ok: 204,
    body: (n, tag) => JSON.stringify({ streams: [{ stream: { job: tag }, values: Array.from({ length: n }, (_, i) => [nowNs(), line(i)]) }] }),
  },
];

async function post(path: string, key: string, contentType: string, body: string): Promise<number> {
  const res = await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${key}` }, body });
  await res.arrayBuffer();
  return res.status;
}

describe('the in-flight cap of a tenant over its share, on the HTTP sources (issue 12, Medium 7)', () => {
  for (const s of sources) {
    it(`${s.name}: a heavy tenant's requests past ${HEAVY_IN_FLIGHT} in flight wait while another tenant is active; all are answered and stored`, async () => {
      const capped = h.engine.stats().turns.capped;
      const before = await countEvents(h, h.tenantA.id);
      const beforeB = await countEvents(h, h.tenantB.id);
      // B active (a small request), A over its share (one large one): A's bytes are ~N times B's.
      expect(await post(s.path, h.tenantB.key, s.contentType, s.body(1, `b-${s.path}`))).toBe(s.ok);
      expect(await post(s.path, h.tenantA.key, s.contentType, s.body(N, `a-${s.path}`))).toBe(s.ok);
      // Then a burst of A's requests while B keeps sending: A's third and later requests wait.
      const burst = Array.from({ length: 8 }, () => post(s.path, h.tenantA.key, s.contentType, s.body(N, `a-${s.path}`)));
      const b = post(s.path, h.tenantB.key, s.contentType, s.body(1, `b-${s.path}`));
      expect(await Promise.all(burst)).toEqual(Array(8).fill(s.ok));
      expect(await b).toBe(s.ok);
      // On main only WebSocket frames entered the cap: nothing an HTTP request did counted here.
      expect(h.engine.stats().turns.capped).toBeGreaterThan(capped);
      expect(await countEvents(h, h.tenantA.id)).toBe(before + 9 * N);
      expect(await countEvents(h, h.tenantB.id)).toBe(beforeB + 2);
    });
  }
});
