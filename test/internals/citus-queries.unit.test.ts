// Every SQL string of src/, engine/ and workers/ that reads, updates or deletes a table that
// docs/scaling.md distributes compares tenant_id with a parameter (Citus routes it to one shard),
// or is listed here with why it runs across tenants (docs/scaling.md "The queries"). A new query
// without a tenant, or an entry here that no longer matches a query, fails.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { parsePlacements, unroutedQueries } from '../../src/tools/citus.js';
import { projectSources } from '../../src/tools/layers.js';

/** file, a piece of the query's text (whitespace folded), why it is meant to run across tenants. */
const ACROSS_TENANTS: readonly [string, string, string][] = [
  ['engine/sinks/postgres/retention.ts', 'DELETE FROM ${part} x USING', 'retention: a plan\'s tenants, by (tenant_id, ctid)'],
  ['engine/sinks/postgres/retention.ts', 'DELETE FROM anomalies x USING ( SELECT tenant_id, ctid AS row FROM anomalies WHERE tenant_id IN', 'retention: a plan\'s tenants'],
  ['engine/sinks/postgres/retention.ts', 'DELETE FROM stream_minutes x USING', 'retention: a plan\'s tenants'],
  ['engine/sinks/postgres/retention.ts', 'tenant_id NOT IN (SELECT id FROM tenants)', 'retention: deleted tenants\' anomalies'],
  ['engine/sinks/postgres/retention.ts', 'DELETE FROM event_blocks_default x USING', 'retention: the default partition past the longest plan'],
  ['engine/sinks/postgres/service.ts', 'DELETE FROM ${table} x USING', 'prune of ingest_batches / ingest_commits after 7 days'],
  ['engine/sinks/postgres/service.ts', 'SELECT 1 FROM ingest_commits WHERE id = $1', 'commit marker look-up, only after a connection lost during COMMIT'],
  ['engine/sinks/postgres/batch-keys.ts', 'FROM ingest_batches b JOIN unnest(', 'the group commit\'s duplicate batch keys: (tenant, key) pairs of several tenants'],
  ['src/control/alerts/dispatcher.ts', 'SELECT tenant_id FROM alert_deliveries WHERE (status', 'which tenants have due deliveries (each is then claimed per tenant)'],
  ['src/control/alerts/system.ts', 'SELECT DISTINCT tenant_id FROM alert_channels', 'which tenants want system alerts'],
  ['src/control/alerts/system.ts', 'FROM audit_log a WHERE a.tenant_id IN (SELECT tenant_id FROM alert_channels', 'VM crashes of the tenants that want system alerts'],
  ['src/control/alerts/system.ts', 'DELETE FROM alert_deliveries WHERE created_at <', 'history prune after 90 days'],
  ['src/control/alerts/system.ts', 'DELETE FROM alert_incidents WHERE last_at <', 'history prune after 90 days'],
  ['src/control/anomalies/service.ts', 'SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE ${f.where}', 'not across tenants: TenantFilter starts with tenant_id = $1'],
  ['src/control/anomalies/service.ts', 'SELECT count(*) AS n FROM anomalies WHERE ${f.where}', 'not across tenants: TenantFilter starts with tenant_id = $1'],
  ['src/core/event-blocks.ts', 'FROM event_blocks WHERE ${base} ORDER BY', 'not across tenants: `where` starts with tenant_id = $1'],
  ['src/core/event-blocks.ts', 'FROM event_blocks WHERE ${base} AND (last_ts, id) <', 'not across tenants: `where` starts with tenant_id = $1'],
  ['src/control/billing/reconcile.ts', 'FROM usage_counters u JOIN billing_customers c', '`billing reconcile`: every tenant\'s hours (colocated join on tenant_id)'],
  ['src/control/billing/reporter.ts', 'FROM usage_counters u JOIN billing_customers c', 'usage reporter: every tenant\'s closed hours (colocated join on tenant_id)'],
  ['src/control/billing/reporter.ts', 'UPDATE billing_usage_reports SET status = \'expired\'', 'usage reporter: hours past Stripe\'s window'],
  ['src/control/billing/reporter.ts', 'FROM billing_usage_reports WHERE status = \'pending\'', 'usage reporter: pending hours of every tenant'],
];

const placements = parsePlacements(readFileSync(join(packageRoot, 'docs/scaling.md'), 'utf8'));
const distributed = new Set([...placements.tables].filter(([, p]) => p === 'distributed').map(([t]) => t));
// Partitions of a distributed table are distributed with it; the default one is named in queries.
distributed.add('event_blocks_default');

describe('queries on distributed tables name their tenant (docs/scaling.md)', () => {
  it('every other query is listed with why it runs across tenants, and every entry still matches one', () => {
    const found = unroutedQueries(projectSources(packageRoot), distributed);
    expect(found.length).toBeGreaterThan(0);
    const unlisted = found.filter((q) => !ACROSS_TENANTS.some(([file, text]) => q.file === file && q.sql.includes(text)))
      .map((q) => `${q.file}:${q.line} ${q.sql.slice(0, 120)}`);
    expect(unlisted).toEqual([]);
    const stale = ACROSS_TENANTS.filter(([file, text]) => !found.some((q) => q.file === file && q.sql.includes(text))).map(([f, t]) => `${f}: ${t}`);
    expect(stale).toEqual([]);
  });

  it('finds a query without a tenant, and takes one that compares tenant_id with a parameter', () => {
    const files = new Map([
      ['src/x.ts', [
        "await db.query('SELECT * FROM anomalies WHERE id = $1', [id]);",
        'await db.query(`UPDATE alert_deliveries d SET x = 1 FROM alert_channels c\n  WHERE c.tenant_id = d.tenant_id AND d.id = $1`);',
        'await db.query(`DELETE FROM ${table} WHERE created_at < now()`);',
        "await db.query('SELECT * FROM anomalies WHERE tenant_id = $1 AND id = $2', [t, id]);",
        "await db.query('SELECT * FROM anomalies WHERE a.tenant_id = ANY($1::uuid[])', [ts]);",
        "await db.query('INSERT INTO anomalies (tenant_id, id) VALUES ($1, $2)');",
        "await db.query('SELECT * FROM users WHERE id = $1');",
      ].join('\n')],
    ]);
    expect(unroutedQueries(files, new Set(['anomalies', 'alert_deliveries', 'alert_channels'])).map((q) => [q.line, q.tables])).toEqual([
      [1, ['anomalies']],
      [2, ['alert_channels', 'alert_deliveries']],
      [4, ['${table}']],
    ]);
  });
});
