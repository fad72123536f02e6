// The engine's operations in the OpenAPI document (src/control/plugins/openapi-engine.ts) exist:
// each documented path and method is answered by a running engine (a refusal of the missing
// credential, never 404), so the document cannot describe an endpoint the engine lacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_OPERATIONS, PUSH_API_OPERATIONS } from '../../src/control/plugins/openapi-engine.js';
import { startHarness, WsClient, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.close(); });

const documented = Object.entries({ ...ENGINE_OPERATIONS, ...PUSH_API_OPERATIONS })
  .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

describe('the engine answers every operation the OpenAPI document gives it', () => {
  it('documents the native, WebSocket and OTLP endpoints at least', () => {
    expect(documented.map((d) => `${d.method} ${d.path}`)).toEqual(expect.arrayContaining([
      'post /api/v1/events/ingest', 'get /api/v1/stream', 'post /v1/logs', 'post /v1/metrics', 'post /v1/traces',
      'post /loki/api/v1/push', 'post /_bulk', 'post /{index}/_bulk', 'get /', 'post /services/collector/event', 'post /services/collector/raw',
    ]));
  });

  for (const { path, method, op } of documented) {
    it(`${method.toUpperCase()} ${path} (${op.operationId}) is answered, not 404`, async () => {
      if (op.responses['101'] !== undefined) {
        // A WebSocket: the upgrade without a credential is refused with 401.
        await expect(WsClient.connect(`${h.url.replace('http', 'ws')}${path}`)).rejects.toMatchObject({ status: 401 });
        return;
      }
      const res = await fetch(`${h.url}${path.replace(/\{\w+\}/g, 'logs-app')}`, { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, ...(method === 'get' ? {} : { body: '{}' }) });
      await res.arrayBuffer();
      expect(res.status).not.toBe(404);
      expect(res.status).toBeLessThan(500);
    });
  }
});
