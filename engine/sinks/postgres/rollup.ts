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
//
// With countsAfterCommit (the events sink), the group commit's statement only inserts: the
// marker and one counter_deltas row per tenant (its events, bytes and rollup arrays, under the
// marker's id). A second statement after COMMIT, foldQuery, moves committed deltas into
// usage_counters / stream_minutes / stream_totals: it deletes the delta rows it adds, in one
// statement (autocommit), so each delta is counted exactly once, whoever folds it (rows another
// fold holds are skipped: SKIP LOCKED). The group commit's transaction never waits on a counter
// row that another flush of the same tenant holds until its COMMIT (issue 11: under load one
// tenant's group commits queued there); only the short fold does.
import type { SinkWrite } from './service.js';

/** The rollup's rows as a CTE `u`, their parameters numbered from `$first` (10 of them). */
const rollupRows = (first: number): string => {
  const p = (k: number): string => `$${first + k}`;
  return `u AS (
     SELECT * FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::float8[], ${p(3)}::text[], ${p(4)}::bigint[], ${p(5)}::bigint[], ${p(6)}::float8[], ${p(7)}::float8[], ${p(8)}::float8[], ${p(9)}::float8[])
       AS u(t, s, mi, ty, n, c, su, lo, hi, last))`;
};

/** The rollup's CTEs: stream_minutes and stream_totals from the rows of a CTE `u` (t, s, mi, ty, n, c, su, lo, hi, last). */
const ROLLUP_UPSERTS = `minutes AS (
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

const rollupCtes = (first: number): string => `${rollupRows(first)},\n   ${ROLLUP_UPSERTS}`;

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
  /** Counts go to counter_deltas in the transaction and are folded after COMMIT (foldQuery); 'events' sinks only. */
  countsAfterCommit: boolean;
}

/** Usage per tenant of the fresh writes: tenants, rows, bytes (three arrays). */
function usageParams(o: Bookkeeping, fresh: readonly SinkWrite[]): [string[], number[], number[]] {
  const usage = new Map<string, { n: number; b: number }>();
  for (const w of fresh) {
    const u = usage.get(w.tenantId) ?? { n: 0, b: 0 };
    u.n += w.rows;
    u.b += o.countBytes ? w.bytes : 0;
    usage.set(w.tenantId, u);
  }
  return [[...usage.keys()], [...usage.values()].map((u) => u.n), [...usage.values()].map((u) => u.b)];
}

/** The group commit's counter_deltas rows (one per tenant, under the marker's id $1), parameters appended to `values`. */
function deltasCte(o: Bookkeeping, fresh: readonly SinkWrite[], values: unknown[]): string {
  const first = values.length + 1;
  values.push(...usageParams(o, fresh));
  const rollup = rollupParams(fresh);
  const cols = 'tenant_id, id, bucket, events, bytes, streams, minutes, stream_types, counts, value_counts, value_sums, value_mins, value_maxs, last_ts';
  const tenants = `unnest($${first}::uuid[], $${first + 1}::bigint[], $${first + 2}::bigint[]) AS a(t, n, b)`;
  if (rollup === undefined) {
    return `deltas AS (INSERT INTO counter_deltas (${cols})
       SELECT a.t, $1, date_trunc('hour', now()), a.n, a.b, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM ${tenants})`;
  }
  const rows = rollupRows(values.length + 1);
  values.push(...rollup);
  // array_agg of one query level sees the rows in one order: the arrays stay aligned.
  return `${rows},
   deltas AS (INSERT INTO counter_deltas (${cols})
     SELECT a.t, $1, date_trunc('hour', now()), a.n, a.b, r.s, r.mi, r.ty, r.n, r.c, r.su, r.lo, r.hi, r.last FROM ${tenants}
     LEFT JOIN LATERAL (SELECT array_agg(u.s) AS s, array_agg(u.mi) AS mi, array_agg(u.ty) AS ty, array_agg(u.n) AS n, array_agg(u.c) AS c,
                               array_agg(u.su) AS su, array_agg(u.lo) AS lo, array_agg(u.hi) AS hi, array_agg(u.last) AS last
                        FROM u WHERE u.t = a.t) r ON true)`;
}

/** Most counter_deltas rows one fold takes. */
export const FOLD_LIMIT = 1_000;

/**
 * The fold after COMMIT (one statement, autocommit): the counter_deltas rows of the given
 * (tenant, marker) pairs, or with `pairs` undefined any rows (what a crash left unfolded), at
 * most FOLD_LIMIT, rows held by another fold skipped; each deleted and added to usage_counters,
 * stream_minutes and stream_totals. Returns the rows folded as `n`.
 */
export function foldQuery(pairs: { tenants: readonly string[]; ids: readonly string[] } | undefined): { text: string; values: unknown[] } {
  const where = pairs === undefined ? '' : 'WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))';
  const text = `WITH d AS (
     DELETE FROM counter_deltas x USING (
       SELECT tenant_id, id FROM counter_deltas ${where} ORDER BY tenant_id, id LIMIT ${FOLD_LIMIT} FOR UPDATE SKIP LOCKED) s
     WHERE x.tenant_id = s.tenant_id AND x.id = s.id
     RETURNING x.*),
   usage AS (
     INSERT INTO usage_counters (tenant_id, bucket, events, bytes)
     SELECT tenant_id, bucket, sum(events), sum(bytes) FROM d GROUP BY tenant_id, bucket ORDER BY tenant_id, bucket
     ON CONFLICT (tenant_id, bucket) DO UPDATE
       SET events = usage_counters.events + EXCLUDED.events, bytes = usage_counters.bytes + EXCLUDED.bytes),
   u AS (
     SELECT d.tenant_id AS t, r.* FROM d CROSS JOIN LATERAL
       unnest(d.streams, d.minutes, d.stream_types, d.counts, d.value_counts, d.value_sums, d.value_mins, d.value_maxs, d.last_ts)
       AS r(s, mi, ty, n, c, su, lo, hi, last)),
   ${ROLLUP_UPSERTS}
   SELECT count(*)::int AS n FROM d`;
  return { text, values: pairs === undefined ? [] : [pairs.tenants, pairs.ids] };
}

/** The one statement after the COPY: usage (for `fresh`), rollups, notify payloads, and the marker. */
export function bookkeepingQuery(o: Bookkeeping, fresh: readonly SinkWrite[], markerId: string, markerTenant: string): { text: string; values: unknown[] } {
  const values: unknown[] = [markerId, markerTenant];
  const ctes = ['marker AS (INSERT INTO ingest_commits (tenant_id, id) VALUES ($2, $1))'];
  if (fresh.length > 0 && o.countsAfterCommit) {
    ctes.push(deltasCte(o, fresh, values));
  } else if (fresh.length > 0) {
    const first = values.length + 1;
    values.push(...usageParams(o, fresh));
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
