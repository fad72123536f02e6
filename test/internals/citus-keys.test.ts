// The schema stays ready to distribute by tenant_id on Citus (docs/scaling.md "PostgreSQL beyond
// one server"): checked on the live schema through pg_catalog against the placements that
// docs/scaling.md gives (src/tools/citus.ts); and the migration from the schema before tenant-led
// keys (test/fixtures/schema-before-tenant-keys.sql) keeps every row and ends in the same catalog
// as a fresh database.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { migrate } from '../../src/core/db.js';
import { packageRoot } from '../../src/core/paths.js';
import { checkPlacements, parsePlacements } from '../../src/tools/citus.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const placements = parsePlacements(readFileSync(join(packageRoot, 'docs/scaling.md'), 'utf8'));

let fresh: TestDatabase;
let old: TestDatabase;
beforeAll(async () => {
  fresh = await createTestDatabase();
  old = await createTestDatabase({ migrated: false });
});
afterAll(async () => {
  await fresh?.drop();
  await old?.drop();
});

describe('Citus placements (docs/scaling.md) on the live schema', () => {
  it('docs/scaling.md places the tenant tables as distributed and the lookup tables as reference tables', () => {
    const of = (p: string): string[] => [...placements.tables].filter(([, v]) => v === p).map(([k]) => k).sort();
    expect(of('distributed')).toEqual(expect.arrayContaining(['anomalies', 'event_blocks', 'usage_counters', 'stream_settings', 'stream_minutes',
      'stream_totals', 'detector_states', 'alert_incidents', 'alert_deliveries']));
    expect(of('reference')).toEqual(expect.arrayContaining(['users', 'api_keys', 'tenants', 'routes', 'signing_keys', 'stripe_webhook_events']));
    expect(of('local')).toEqual(['audit_log']);
  });

  it('every key of a distributed table starts with tenant_id and every foreign key between them carries it', async () => {
    expect(await checkPlacements(fresh.pool, placements)).toEqual([]);
  });

  it('reports a table that breaks each rule', async () => {
    const c = fresh.pool;
    await c.query(`
      CREATE SCHEMA citus_bad;
      CREATE TABLE citus_bad.tenants (id uuid PRIMARY KEY);
      CREATE TABLE citus_bad.parent (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
      CREATE TABLE citus_bad.by_id (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, name text,
        UNIQUE (name, tenant_id));
      CREATE UNIQUE INDEX by_id_lower ON citus_bad.by_id (lower(name));
      CREATE TABLE citus_bad.child (tenant_id uuid NOT NULL, parent_id uuid NOT NULL, other uuid, PRIMARY KEY (tenant_id, parent_id),
        CONSTRAINT child_fk FOREIGN KEY (other, parent_id) REFERENCES citus_bad.parent (tenant_id, id),
        CONSTRAINT child_local FOREIGN KEY (parent_id) REFERENCES citus_bad.journal (id));
      CREATE TABLE citus_bad.nullable (tenant_id uuid, x int);
      CREATE TABLE citus_bad.lookup (id uuid PRIMARY KEY, parent_tenant uuid, parent_id uuid,
        CONSTRAINT lookup_fk FOREIGN KEY (parent_tenant, parent_id) REFERENCES citus_bad.parent (tenant_id, id));
      CREATE TABLE citus_bad.unplaced (id int);
    `.replace('CREATE TABLE citus_bad.child', 'CREATE TABLE citus_bad.journal (id uuid PRIMARY KEY);\n      CREATE TABLE citus_bad.child'));
    const bad = parsePlacements(`
      SELECT create_reference_table('tenants');
      SELECT create_reference_table('lookup');
      SELECT create_distributed_table('parent', 'tenant_id');
      SELECT create_distributed_table('by_id', 'tenant_id', colocate_with => 'parent');
      SELECT create_distributed_table('child', 'tenant_id', colocate_with => 'parent');
      SELECT create_distributed_table('nullable', 'tenant_id', colocate_with => 'elsewhere');
      SELECT citus_add_local_table_to_metadata('journal');
      SELECT create_reference_table('gone');`);
    expect((await checkPlacements(c, bad, 'citus_bad')).sort()).toEqual([
      'by_id: primary key by_id_pkey (id) does not start with tenant_id',
      'by_id: unique constraint by_id_name_tenant_id_key (name, tenant_id) does not start with tenant_id',
      'by_id: unique index by_id_lower (<expression>) does not start with tenant_id',
      'child: foreign key child_fk (other, parent_id) → parent (tenant_id, id) does not map tenant_id to tenant_id',
      'child: foreign key child_local (parent_id) → journal (id): a distributed table may reference distributed or reference tables only (journal is local)',
      'distributed tables are not all colocated: colocate_with elsewhere, parent',
      'gone: placed but not in the schema',
      'lookup: foreign key lookup_fk (parent_tenant, parent_id) → parent (tenant_id, id): a reference table may reference reference tables only (parent is distributed)',
      'nullable: tenant_id may be null',
      'unplaced: not placed (distributed, reference or local)',
    ]);
    expect(() => parsePlacements("SELECT create_distributed_table('x', 'id');")).toThrow(/distributed by id/);
    expect(() => parsePlacements("SELECT create_reference_table('x'); SELECT create_reference_table('x');")).toThrow(/placed twice/);
    await c.query('DROP SCHEMA citus_bad CASCADE');
  });
});

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const ID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Rows of the tables whose keys the migration replaces, in one order, as JSON. */
async function snapshot(db: pg.Pool): Promise<Record<string, unknown[]>> {
  const tables: Record<string, string> = {
    anomalies: 'id', stream_mutes: 'id', billing_usage_reports: 'bucket', billing_manual_usage: 'id', alert_channels: 'id',
    alert_rules: 'id', alert_incidents: 'id', alert_deliveries: 'id', ingest_commits: 'id',
  };
  const out: Record<string, unknown[]> = {};
  for (const [t, order] of Object.entries(tables)) {
    out[t] = (await db.query<{ j: unknown }>(`SELECT to_jsonb(x) AS j FROM ${t} x ORDER BY ${order}`)).rows.map((r) => r.j);
  }
  return out;
}

/** The public schema's constraints, indexes and columns, independent of column order. */
async function catalog(db: pg.Pool): Promise<Record<string, string[]>> {
  const q = async (sql: string): Promise<string[]> => (await db.query<{ s: string }>(sql)).rows.map((r) => r.s);
  return {
    constraints: await q(`SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS s FROM pg_constraint
                           WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'event_blocks_p%' ORDER BY 1`),
    indexes: await q(`SELECT indexdef AS s FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'event_blocks_p%' ORDER BY 1`),
    columns: await q(`SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS s
                        FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'event_blocks_p%' ORDER BY 1`),
  };
}

describe('migration from the schema before tenant-led keys', () => {
  it('keeps every row, fills the new tenant_id columns, and ends in the catalog of a fresh database', async () => {
    const db = old.pool;
    await db.query(readFileSync(join(packageRoot, 'test/fixtures/schema-before-tenant-keys.sql'), 'utf8'));
    await db.query(`
      INSERT INTO tenants (id, name, slug) VALUES ('${T1}', 'One', 'one'), ('${T2}', 'Two', 'two');
      INSERT INTO anomalies (id, tenant_id, stream, stream_type, score, detector, explanation, event, incident_id) VALUES
        ('${ID(1)}', '${T1}', 'web', 'logs', 0.9, 'logs', 'new pattern', '"GET /x"', '${ID(30)}'),
        ('${ID(2)}', '${T2}', 'cpu', 'metrics', 0.7, 'numeric', 'spike', '3.5', NULL);
      INSERT INTO stream_mutes (tenant_id, stream, pattern, until) VALUES ('${T1}', 'web', NULL, now() + interval '1 hour'), ('${T2}', 'cpu', 'x', now());
      INSERT INTO billing_usage_reports (tenant_id, bucket, identifier, stripe_customer_id, events, status)
        VALUES ('${T1}', '2026-12-01T10:00:00Z', 'dwu-${T1}-2026-12-01T10', 'cus_1', 42, 'sent');
      INSERT INTO billing_manual_usage (id, tenant_id, idempotency_key, identifier, stripe_customer_id, events, ts, status)
        VALUES ('${ID(3)}', '${T1}', 'k1', 'dwm-${ID(3)}', 'cus_1', 5, now(), 'pending');
      INSERT INTO alert_channels (id, tenant_id, kind, name, target) VALUES
        ('${ID(10)}', '${T1}', 'webhook', 'hook', 'https://example.test/h'), ('${ID(11)}', '${T2}', 'slack', 'slack', 'https://example.test/s');
      INSERT INTO alert_rules (id, tenant_id, name, channel_ids) VALUES ('${ID(20)}', '${T1}', 'all', ARRAY['${ID(10)}']::uuid[]);
      INSERT INTO alert_incidents (id, tenant_id, kind, key, stream) VALUES
        ('${ID(30)}', '${T1}', 'anomaly', 'incident${ID(30)}', 'web'), ('${ID(31)}', '${T1}', 'quota', 'quota:2026-12:80', NULL),
        ('${ID(32)}', '${T2}', 'anomaly', 'cpu\u001fnumeric', 'cpu');
      INSERT INTO alert_incident_anomalies (anomaly_id, incident_id) VALUES ('${ID(1)}', '${ID(30)}'), ('${ID(2)}', '${ID(32)}'), ('${ID(4)}', '${ID(31)}');
      INSERT INTO alert_deliveries (id, tenant_id, channel_id, incident_id, event, dedupe_key, payload) VALUES
        ('${ID(40)}', '${T1}', '${ID(10)}', '${ID(30)}', 'incident.opened', 'incident:${ID(30)}', '{}'),
        ('${ID(41)}', '${T1}', '${ID(10)}', '${ID(31)}', 'quota', 'incident:${ID(31)}', '{}'),
        ('${ID(42)}', '${T2}', '${ID(11)}', NULL, 'test', 'test:1', '{}');
      INSERT INTO ingest_commits (id) VALUES ('${ID(50)}');`);
    const links = (await db.query('SELECT count(*)::int AS n FROM alert_incident_anomalies')).rows[0].n;
    expect(links).toBe(3);
    const before = await snapshot(db);
    await migrate(db);
    const after = await snapshot(db);
    // The same rows, but for what the alerts migration drops (alerts key on detection's incident:
    // alert_incidents' 'anomaly' rows and the alert_incident_anomalies links were copies of it);
    // ingest_commits gained tenant_id (the nil uuid for older rows).
    const without = (rows: unknown[]): unknown[] => rows.map((r) => { const { tenant_id: _t, ...rest } = r as Record<string, unknown>; return rest; });
    for (const t of Object.keys(before)) {
      if (t === 'ingest_commits') expect(without(after[t]), t).toEqual(before[t]);
      else if (t === 'alert_incidents') expect(after[t], t).toEqual(before[t].filter((r) => (r as { kind: string }).kind !== 'anomaly'));
      else expect(after[t], t).toEqual(before[t]);
    }
    expect((await db.query("SELECT to_regclass('public.alert_incident_anomalies') AS r")).rows[0].r).toBeNull();
    expect(after.ingest_commits).toEqual([expect.objectContaining({ tenant_id: '00000000-0000-0000-0000-000000000000', id: ID(50) })]);

    // Migrating again changes nothing, and the catalog is a fresh database's.
    await migrate(db);
    expect(await snapshot(db)).toEqual(after);
    expect(await catalog(db)).toEqual(await catalog(fresh.pool));
    expect(await checkPlacements(db, placements)).toEqual([]);

    // The new keys hold: per tenant uniqueness, and the foreign keys' actions keep tenant_id.
    await expect(db.query(`INSERT INTO alert_deliveries (tenant_id, channel_id, event, dedupe_key, payload)
                           VALUES ('${T1}', '${ID(10)}', 'x', 'incident:${ID(30)}', '{}')`)).rejects.toMatchObject({ code: '23505' });
    await expect(db.query(`INSERT INTO alert_deliveries (tenant_id, channel_id, event, dedupe_key, payload)
                           VALUES ('${T2}', '${ID(10)}', 'x', 'other', '{}')`)).rejects.toMatchObject({ code: '23503' });
    await db.query(`DELETE FROM alert_channels WHERE tenant_id = '${T1}' AND id = '${ID(10)}'`);
    expect((await db.query(`SELECT id FROM alert_deliveries ORDER BY id`)).rows).toEqual([{ id: ID(42) }]);
  });
});
