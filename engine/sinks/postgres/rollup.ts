// The per-minute rollup the events sink keeps in the blocks' transaction (stream_minutes,
// stream_totals): events per stream and minute, metric count/sum/min/max; a late event adds to
// its own minute. Read by the control API's series route, never by decompressing blocks.
import type { SinkWrite } from './service.js';

/**
 * Adds the writes' per-minute rollups to stream_minutes, and their totals to stream_totals (rows
 * in key order): WITH items for the sink's one statement after the COPY (service.ts), the ten
 * rollupParams() arrays numbered from $first.
 */
export function rollupCtes(first: number): string {
  const p = Array.from({ length: 10 }, (_, i) => `$${first + i}`);
  return `ru AS (
     SELECT * FROM unnest(${p[0]}::uuid[], ${p[1]}::text[], ${p[2]}::float8[], ${p[3]}::text[], ${p[4]}::bigint[], ${p[5]}::bigint[], ${p[6]}::float8[], ${p[7]}::float8[], ${p[8]}::float8[], ${p[9]}::float8[])
       AS u(t, s, mi, ty, n, c, su, lo, hi, last)),
   rminutes AS (
     INSERT INTO stream_minutes AS m (tenant_id, stream, minute, stream_type, events, value_count, value_sum, value_min, value_max)
     SELECT t, s, to_timestamp(mi / 1000), ty, sum(n), sum(c), sum(su), min(lo), max(hi) FROM ru GROUP BY t, s, mi, ty ORDER BY t, s, mi, ty
     ON CONFLICT (tenant_id, stream, minute, stream_type) DO UPDATE SET
       events = m.events + EXCLUDED.events, value_count = m.value_count + EXCLUDED.value_count,
       value_sum = m.value_sum + EXCLUDED.value_sum,
       value_min = least(m.value_min, EXCLUDED.value_min), value_max = greatest(m.value_max, EXCLUDED.value_max)),
   rtotals AS (
     INSERT INTO stream_totals AS x (tenant_id, stream, stream_type, events_total, first_seen, last_seen)
     SELECT t, s, ty, sum(n), to_timestamp(min(mi) / 1000), to_timestamp(max(last) / 1000) FROM ru GROUP BY t, s, ty ORDER BY t, s, ty
     ON CONFLICT (tenant_id, stream, stream_type) DO UPDATE SET
       events_total = x.events_total + EXCLUDED.events_total,
       first_seen = least(x.first_seen, EXCLUDED.first_seen), last_seen = greatest(x.last_seen, EXCLUDED.last_seen),
       last_received_at = now())`;
}

/** The rollupCtes() parameters of the writes that carry a rollup (undefined when none does). */
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
