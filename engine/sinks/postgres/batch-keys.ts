// The batch keys of a sink transaction (service.ts): each keyed write claims (tenant, batch key)
// in ingest_batches with the sha256 of its lines; a key already claimed with the same fingerprint
// is a duplicate (its first count answered again), with other data a DW_ERR_CONFLICT refusal.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { DwError } from '../../../src/core/errors.js';
import type { SinkWrite, WriteResult } from './service.js';

/** sha256 of a write's COPY lines: what a batch key was first used for. */
export const fingerprintOf = (lines: string): Buffer => createHash('sha256').update(lines).digest();

/** Marks in `results` (one per write, stored until told otherwise) the duplicates and the refused. */
export async function claimBatchKeys(client: pg.PoolClient, writes: SinkWrite[], results: (WriteResult | DwError)[]): Promise<void> {
  const keyed = writes.map((w, i) => ({ w, i, fp: w.fingerprint === undefined ? fingerprintOf(w.lines + (w.parts?.map((p) => p.text).join('\n') ?? '')) : Buffer.from(w.fingerprint, 'hex') })).filter((x) => x.w.batchKey !== undefined);
  if (keyed.length > 0) {
    keyed.sort((a, b) => (a.w.tenantId + a.w.batchKey < b.w.tenantId + b.w.batchKey ? -1 : 1));
    const { rows } = await client.query<{ tenant_id: string; batch_key: string }>(
      `INSERT INTO ingest_batches (tenant_id, batch_key, event_count, fingerprint)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bytea[])
       ON CONFLICT DO NOTHING RETURNING tenant_id, batch_key`,
      [keyed.map((x) => x.w.tenantId), keyed.map((x) => x.w.batchKey), keyed.map((x) => x.w.rows), keyed.map((x) => x.fp)],
    );
    const inserted = new Set(rows.map((r) => `${r.tenant_id}\u0000${r.batch_key}`));
    const dups = keyed.filter((x) => !inserted.has(`${x.w.tenantId}\u0000${x.w.batchKey}`));
    if (dups.length > 0) {
      const found = await client.query<{ tenant_id: string; batch_key: string; event_count: number; fingerprint: Buffer | null }>(
        `SELECT b.tenant_id, b.batch_key, b.event_count, b.fingerprint FROM ingest_batches b
           JOIN unnest($1::uuid[], $2::text[]) AS u(t, k) ON b.tenant_id = u.t AND b.batch_key = u.k`,
        [dups.map((x) => x.w.tenantId), dups.map((x) => x.w.batchKey)],
      );
      const stored = new Map(found.rows.map((r) => [`${r.tenant_id}\u0000${r.batch_key}`, r]));
      for (const x of dups) {
        const r = stored.get(`${x.w.tenantId}\u0000${x.w.batchKey}`);
        // A row written before fingerprints existed (null) cannot be compared: a duplicate, as before.
        if (r !== undefined && r.fingerprint !== null && !r.fingerprint.equals(x.fp)) {
          results[x.i] = new DwError('DW_ERR_CONFLICT',
            `the batch key ${JSON.stringify(x.w.batchKey)} was already used for different data; ` +
            'send new data under a new key (a restarted WebSocket client: a new client_id)',
            { batchKey: x.w.batchKey });
        } else {
          results[x.i] = { duplicate: true, rows: r?.event_count ?? x.w.rows };
        }
      }
    }
  }
}
