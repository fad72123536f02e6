// Upgrading a database whose alerts kept their own copy of detection's incidents (alert_incidents
// rows of kind 'anomaly' and the alert_incident_anomalies links): migrate() drops the copy, keeps
// every delivery with its incident id (so an incident already notified is not notified again),
// keeps the system events (quota, VM crash), and detector_states gains its incidents column.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { foldAnomalies } from '../../src/control/alerts/incidents.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase({ migrated: false }); });
afterAll(async () => { await db?.drop(); });

describe('schema: alerts keyed on detection incidents', () => {
  it('drops the duplicate incident rows and links, keeps deliveries and system events; a notified incident stays notified', async () => {
    // The previous release's schema.sql (before alerts keyed on detection's incident and before
    // tenant-led keys), as a database made by it has it.
    await db.pool.query(readFileSync(join(packageRoot, 'test/fixtures/schema-before-tenant-keys.sql'), 'utf8'));
    const t = (await createTenant(db.pool, 'Old alerts')).id;
    const incident = '0b5e0000-0000-4000-8000-000000000001';
    const anomaly = '0b5e0000-0000-4000-8000-0000000000a1';
    await db.pool.query(
      `INSERT INTO alert_incidents (id, tenant_id, kind, key, stream, detector, first_anomaly_id, count, max_score) VALUES ($1, $2, 'anomaly', $4, 'web', 'text', $3, 7, 0.9)`, [incident, t, anomaly, `incident\u001f${incident}`]);
    await db.pool.query(`INSERT INTO alert_incidents (tenant_id, kind, key) VALUES ($1, 'quota', 'quota:202612:80')`, [t]);
    await db.pool.query('INSERT INTO alert_incident_anomalies (anomaly_id, incident_id) VALUES ($1, $2)', [anomaly, incident]);
    const ch = (await db.pool.query<{ id: string }>(`INSERT INTO alert_channels (tenant_id, kind, name, target) VALUES ($1, 'webhook', 'h', 'https://hooks.example.com/x') RETURNING id`, [t])).rows[0].id;
    await db.pool.query(`INSERT INTO alert_rules (tenant_id, name, channel_ids) VALUES ($1, 'all', ARRAY[$2::uuid])`, [t, ch]);
    await db.pool.query(
      `INSERT INTO alert_deliveries (tenant_id, channel_id, incident_id, event, dedupe_key, payload, status) VALUES ($1, $2, $3, 'incident.opened', $4, '{}', 'sent')`, [t, ch, incident, `incident:${incident}`]);

    await migrate(db.pool);
    await migrate(db.pool); // applied again: nothing more happens
    expect((await db.pool.query("SELECT to_regclass('public.alert_incident_anomalies') AS r")).rows[0].r).toBeNull();
    expect((await db.pool.query('SELECT kind, key FROM alert_incidents WHERE tenant_id = $1', [t])).rows).toEqual([{ kind: 'quota', key: 'quota:202612:80' }]);
    expect((await db.pool.query('SELECT incident_id, status FROM alert_deliveries WHERE tenant_id = $1', [t])).rows).toEqual([{ incident_id: incident, status: 'sent' }]);
    expect((await db.pool.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'detector_states' AND column_name = 'incidents'")).rowCount).toBe(1);

    // A later line of that incident queues nothing: it was notified before the upgrade.
    const r = await foldAnomalies(db.pool, t, [{
      id: '0b5e0000-0000-4000-8000-0000000000a2', stream: 'web', detector: 'text', score: 0.99, explanation: 'x', event: 'x', details: {}, detected_at: new Date().toISOString(), incident_id: incident,
    }], { windowMs: 600_000, dashboardUrl: 'https://dash.example.com', now: () => new Date() });
    expect(r).toEqual({ folded: 1, queued: 0 });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM alert_deliveries WHERE tenant_id = $1', [t])).rows[0].n).toBe(1);
  });
});
