// DRIFTWATCH_TENANT_ID: a per-tenant engine (what the VM providers start) stores its own
// tenant's events and refuses every other tenant's credentials with 403 DW_ERR_FORBIDDEN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStored, storedEvents } from '../helpers/events.js';
import { logEvent, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.engine.close();
  await h.restart({ tenantId: h.tenantA.id });
});
afterAll(async () => { await h?.close(); });

const ingest = (key: string): Promise<Response> => fetch(`${h.url}/api/v1/events/ingest`, {
  method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify([logEvent('hello')]),
});

describe('engine restricted to one tenant', () => {
  it('accepts its tenant and stores the events', async () => {
    const r = await ingest(h.tenantA.key);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ accepted: 1 });
    const rows = await storedEvents(h.db.pool);
    expect(rows.map((e) => ({ tenant_id: e.tenant_id }))).toEqual([{ tenant_id: h.tenantA.id }]);
  });

  it("refuses another tenant's key with a clear error, and stores nothing for it", async () => {
    const r = await ingest(h.tenantB.key);
    expect(r.status).toBe(403);
    const body = await r.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('DW_ERR_FORBIDDEN');
    expect(body.error.message).toMatch(/single tenant/);
    expect(await countStored(h.db.pool, 'tenant_id = $1', [h.tenantB.id])).toBe(0);
  });

  it('DRIFTWATCH_TENANT_ID must be a UUID', async () => {
    const { loadConfig } = await import('../../src/core/config.js');
    expect(() => loadConfig({ env: { DRIFTWATCH_TENANT_ID: 'acme' } })).toThrow(/DRIFTWATCH_TENANT_ID .* must be a UUID/);
  });
});
