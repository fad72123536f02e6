// The bookkeeping of a group commit after its COPY (service.ts), one statement, one round trip:
//
//   WITH usage   AS (INSERT INTO usage_counters ... ON CONFLICT DO UPDATE)     per tenant, hour bucket (writes stored)
//        u, minutes AS (INSERT INTO stream_minutes ...), totals AS (INSERT INTO stream_totals ...)
//                                                                            the writes' rollups (events sink)
//        marker  AS (INSERT INTO ingest_commits (tenant_id, id) ...)          the transaction's marker
//   SELECT pg_notify(channel, n) FROM unnest(notes) | SELECT 1                  the writes' notify payloads (anomalies sink)
//
// The per-minute rollup (stream_minutes, stream_totals): events per stream and minute, metric
// count/sum/min/max; a late event adds to its own minute. Read by the control API's series
// route, never by decompressing blocks. Each part was a statement of its own: under CPU
// contention every round trip waits for the backend and for the event loop, and a light
// tenant's transaction paid four of them (issue 12, Medium 7).
import type { SinkWrite } from './service.js';

/** The rollup's CTEs, their parameters numbered from `$first` (10 of them). */
const rollupCtes = (first: number): string => {
  const p = (k: number): string => `$${first + k}`;
  return `u AS (
     SELECT * FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::float8[], ${p(3)}::text[], ${p(4)}::bigint[], ${p(5)}::bigint[], ${p(6)}::float8[], ${p(7)}::float8[], ${p(8)}::float8[], ${p(9)}::float8[])
       AS u(t, s, mi, ty, n, c, su, lo, hi, last)),
   minutes AS (
     INSERT INTO stream_minutes AS m (tenant_id, stream, minute, stream_type, events, value_count, value_sum, value_min, value_max)
     SELECT t, s, to_timestamp(mi / 1000), ty, sum(n), sum(c), sum(su), min(lo), max(hi) FROM u GROUP BY t, s, mi, ty ORDER BY t, s, mi, ty
     ON CONFLICT (tenant_id, stream, minute, stream_type) DO UPDATE SET
       events = m.events + EXCLUDED.events, value_count = m.value_count + EXCLUDED.value_count,
       value_sum = m.value_sum + EXCLUDED.value_sum,
       value_min = least(m.value_min, EXCLUDED.value_min), value_max = greatest(m.value_max, EXCLUDED.value_max)),
   totals AS (
     INSERT INTO stream_totals AS x (tenant_id, stream, stream_type, events_total, first_seen, last_seen)
     SELECT t, s, ty, sum(n), to_timestamp(min(mi) / 1000), to_timestamp(max(last) / 1000) FROM u GROUP BY t, s, ty ORDER BY t, s, ty
     ON CONFLICT (tenant_id, stream, stream_type) DO UPDATE SET
       events_total = x.events_total + EXCLUDED.events_total,
       first_seen = least(x.first_seen, EXCLUDED.first_seen), last_seen = greatest(x.last_seen, EXCLUDED.last_seen),
       last_received_at = now())`;
};

/** The rollup parameters of the writes that carry a rollup (undefined when none does). */
export function rollupParams(writes: readonly SinkWrite[]): unknown[] | undefined {
  const p: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
  for (const w of writes) {
    const r = w.rollup;
    if (r === undefined) continue;
    for (let k = 0; k < r.minute.length; k++) {
      p[0].push(w.tenantId); p[1].push(r.stream[k]); p[2].push(r.minute[k]); p[3].push(r.streamType[k]); p[4].push(r.events[k]);
      p[5].push(r.values[k]); p[6].push(r.sum[k]); p[7].push(r.min[k]); p[8].push(r.max[k]); p[9].push(r.lastTs[k]);
    }
  }
  return p[0].length === 0 ? undefined : p;
}

export interface Bookkeeping {
  /** The sink's usage column ('events' or 'anomalies') and whether it counts bytes. */
  usageColumn: 'events' | 'anomalies';
  countBytes: boolean;
  notifyChannel?: string;
}

/** The one statement after the COPY: usage (for `fresh`), rollups, notify payloads, and the marker. */
export function bookkeepingQuery(o: Bookkeeping, fresh: readonly SinkWrite[], markerId: string, markerTenant: string): { text: string; values: unknown[] } {
  const values: unknown[] = [markerId, markerTenant];
  const ctes = ['marker AS (INSERT INTO ingest_commits (tenant_id, id) VALUES ($2, $1))'];
  if (fresh.length > 0) {
    const usage = new Map<string, { n: number; b: number }>();
    for (const w of fresh) {
      const u = usage.get(w.tenantId) ?? { n: 0, b: 0 };
      u.n += w.rows;
      u.b += o.countBytes ? w.bytes : 0;
      usage.set(w.tenantId, u);
    }
    const first = values.length + 1;
    values.push([...usage.keys()], [...usage.values()].map((u) => u.n), [...usage.values()].map((u) => u.b));
    const col = o.usageColumn;
    ctes.unshift(`usage AS (
       INSERT INTO usage_counters (tenant_id, bucket, ${col}, bytes)
       SELECT t, date_trunc('hour', now()), n, b FROM unnest($${first}::uuid[], $${first + 1}::bigint[], $${first + 2}::bigint[]) AS u(t, n, b) ORDER BY t
       ON CONFLICT (tenant_id, bucket) DO UPDATE
         SET ${col} = usage_counters.${col} + EXCLUDED.${col}, bytes = usage_counters.bytes + EXCLUDED.bytes)`);
    const rollup = rollupParams(fresh);
    if (rollup !== undefined) {
      ctes.splice(1, 0, rollupCtes(values.length + 1));
      values.push(...rollup);
    }
  }
  const notes = o.notifyChannel === undefined ? [] : fresh.flatMap((w) => w.notify ?? []);
  let main = 'SELECT 1';
  if (notes.length > 0) {
    main = `SELECT pg_notify($${values.length + 1}, n) FROM unnest($${values.length + 2}::text[]) AS n`;
    values.push(o.notifyChannel, notes);
  }
  return { text: `WITH ${ctes.join(',\n')}\n${main}`, values };
}
