// The tenant's streams as the dashboard sees them (views.ts; service.ts holds settings and feedback): the list, a stream's time series, mutes, and
// deleting a stream with its data. The only file of the streams pages that touches PostgreSQL.
//
//   stream_totals (one row per stream, kept by the engine's events sink) ─┐
//   anomalies (open, per stream) ─ stream_settings (profile) ─ mutes ─────┴─► list()
//   stream_minutes (events per stream and minute; metrics min/sum/max) ──────► series(): buckets of
//                                                                              whole minutes, never a block decoded
//   anomalies (event time in the range) ───────────────────────────────────► series().anomalies (chart markers)
import type pg from 'pg';
import { withTransaction } from '../../core/db.js';
import { DwError } from '../../core/errors.js';
import type { Profile } from '../../core/tenancy/profiles.js';

export const MINUTE_MS = 60_000;
/** A series has at most this many buckets (the bucket grows to fit the range). */
export const SERIES_MAX_POINTS = 10_080;
/** Without `bucket`, the series aims at about this many points. */
export const SERIES_TARGET_POINTS = 720;
/** Anomaly markers returned with a series, at most (the highest scores of the range). */
export const SERIES_MAX_MARKERS = 2_000;
/** Sparkline: events per minute over the last hour. */
export const SPARK_MINUTES = 60;

export interface StreamSummary {
  name: string;
  stream_type: string;
  events_total: number;
  first_seen: string;
  last_seen: string;
  anomalies_open: number;
  profile: Profile;
  muted_until: string | null;
  /** Events per minute over the last SPARK_MINUTES minutes, oldest first (event time). */
  rate_last_hour: number[];
}

export interface SeriesPoint {
  /** Bucket start (ISO). */
  t: string;
  events: number;
  /** Metrics: the values' count, mean, least and greatest in the bucket (null without values). */
  values: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export interface SeriesMarker { id: string; t: string; score: number; status: string; explanation: string }

export interface Series {
  stream: string;
  stream_type: string | null;
  from: string;
  to: string;
  bucket: number;
  points: SeriesPoint[];
  anomalies: SeriesMarker[];
  anomalies_in_range: number;
}

export interface Mute { stream: string; pattern: string | null; until: string; created_at: string }

/** The bucket (seconds, whole minutes) for a range: `asked` if given, else about SERIES_TARGET_POINTS points. */
export function bucketFor(fromMs: number, toMs: number, asked?: number): number {
  const range = toMs - fromMs;
  if (!(range > 0)) throw new DwError('DW_ERR_VALIDATION', '`from` must be before `to`');
  if (asked !== undefined) {
    if (!Number.isInteger(asked) || asked < 60 || asked % 60 !== 0) throw new DwError('DW_ERR_VALIDATION', '`bucket` is in seconds: a whole number of minutes (60, 300, 3600, ...)');
    if (range / (asked * 1000) > SERIES_MAX_POINTS) {
      throw new DwError('DW_ERR_VALIDATION', `the range holds more than ${SERIES_MAX_POINTS} buckets of ${asked} s; ask for a larger bucket`);
    }
    return asked;
  }
  const minutes = Math.ceil(range / MINUTE_MS / SERIES_TARGET_POINTS);
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].find((m) => m >= minutes) ?? Math.ceil(minutes / 1440) * 1440;
  return nice * 60;
}

export class StreamsService {
  readonly #pool: pg.Pool;
  constructor(pool: pg.Pool) { this.#pool = pool; }

  async list(tenantId: string, now = Date.now()): Promise<StreamSummary[]> {
    const sparkFrom = new Date(Math.floor(now / MINUTE_MS) * MINUTE_MS - (SPARK_MINUTES - 1) * MINUTE_MS);
    const [totals, open, spark] = await Promise.all([
      this.#pool.query<{ stream: string; stream_type: string; events_total: string; first_seen: Date; last_seen: Date; profile: Profile | null; muted_until: Date | null }>(
        `SELECT t.stream, t.stream_type, t.events_total, t.first_seen, t.last_seen, s.profile,
                (SELECT max(until) FROM stream_mutes m WHERE m.tenant_id = t.tenant_id AND m.stream = t.stream AND m.pattern IS NULL AND m.until > now()) AS muted_until
           FROM stream_totals t LEFT JOIN stream_settings s ON s.tenant_id = t.tenant_id AND s.stream = t.stream
          WHERE t.tenant_id = $1 ORDER BY t.stream, t.stream_type`, [tenantId]),
      this.#pool.query<{ stream: string; n: string }>(
        `SELECT stream, count(*) AS n FROM anomalies WHERE tenant_id = $1 AND status = 'open' GROUP BY stream`, [tenantId]),
      this.#pool.query<{ stream: string; i: number; n: string }>(
        `SELECT stream, (extract(epoch FROM minute - $2::timestamptz) / 60)::int AS i, sum(events) AS n
           FROM stream_minutes WHERE tenant_id = $1 AND minute >= $2 GROUP BY stream, minute`, [tenantId, sparkFrom]),
    ]);
    const openBy = new Map(open.rows.map((r) => [r.stream, Number(r.n)]));
    const sparkBy = new Map<string, number[]>();
    for (const r of spark.rows) {
      if (r.i < 0 || r.i >= SPARK_MINUTES) continue;
      let a = sparkBy.get(r.stream);
      if (a === undefined) sparkBy.set(r.stream, a = new Array<number>(SPARK_MINUTES).fill(0));
      a[r.i] += Number(r.n);
    }
    return totals.rows.map((r) => ({
      name: r.stream, stream_type: r.stream_type, events_total: Number(r.events_total),
      first_seen: r.first_seen.toISOString(), last_seen: r.last_seen.toISOString(),
      anomalies_open: openBy.get(r.stream) ?? 0, profile: r.profile ?? 'balanced',
      muted_until: r.muted_until === null ? null : r.muted_until.toISOString(),
      rate_last_hour: sparkBy.get(r.stream) ?? new Array<number>(SPARK_MINUTES).fill(0),
    }));
  }

  async series(tenantId: string, stream: string, fromMs: number, toMs: number, bucketSeconds?: number): Promise<Series> {
    const bucket = bucketFor(fromMs, toMs, bucketSeconds);
    const from = new Date(fromMs);
    const to = new Date(toMs);
    const [pts, marks, type] = await Promise.all([
      this.#pool.query<{ b: number; events: string; values: string; sum: number; min: number | null; max: number | null }>(
        // date_bin on timestamps, not floor(extract(epoch) / bucket): extract returns numeric, whose
        // arithmetic made this query about twice as slow over 7 days of minutes (10,080 rows).
        `SELECT extract(epoch FROM date_bin(make_interval(secs => $5), minute, 'epoch'))::float8 AS b, sum(events) AS events, sum(value_count) AS values,
                sum(value_sum) AS sum, min(value_min) AS min, max(value_max) AS max
           FROM stream_minutes WHERE tenant_id = $1 AND stream = $2 AND minute >= $3 AND minute < $4
          GROUP BY date_bin(make_interval(secs => $5), minute, 'epoch') ORDER BY 1`, [tenantId, stream, from, to, bucket]),
      this.#pool.query<{ id: string; t: Date; score: number; status: string; explanation: string; total: string }>(
        `SELECT id, coalesce(event_ts, detected_at) AS t, score, status, explanation, count(*) OVER () AS total
           FROM anomalies WHERE tenant_id = $1 AND stream = $2 AND coalesce(event_ts, detected_at) >= $3 AND coalesce(event_ts, detected_at) < $4
          ORDER BY score DESC, t LIMIT ${SERIES_MAX_MARKERS}`, [tenantId, stream, from, to]),
      this.#pool.query<{ stream_type: string }>('SELECT stream_type FROM stream_totals WHERE tenant_id = $1 AND stream = $2 ORDER BY events_total DESC LIMIT 1', [tenantId, stream]),
    ]);
    const points: SeriesPoint[] = pts.rows.map((r) => {
      const values = Number(r.values);
      return {
        t: new Date(r.b * 1000).toISOString(), events: Number(r.events), values,
        mean: values > 0 ? r.sum / values : null, min: r.min, max: r.max,
      };
    });
    const anomalies = marks.rows.map((r) => ({ id: r.id, t: r.t.toISOString(), score: r.score, status: r.status, explanation: r.explanation }))
      .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    return {
      stream, stream_type: type.rows[0]?.stream_type ?? null, from: from.toISOString(), to: to.toISOString(), bucket, points, anomalies,
      anomalies_in_range: marks.rows.length > 0 ? Number(marks.rows[0].total) : 0,
    };
  }

  /** Deletes the stream's events, rollup, anomalies, settings and mutes; false when it had none of them. */
  async remove(tenantId: string, stream: string): Promise<{ deleted: boolean; blocks: number; anomalies: number }> {
    return withTransaction(this.#pool, async (db) => {
      const blocks = await db.query('DELETE FROM event_blocks WHERE tenant_id = $1 AND stream = $2', [tenantId, stream]);
      const anomalies = await db.query('DELETE FROM anomalies WHERE tenant_id = $1 AND stream = $2', [tenantId, stream]);
      const totals = await db.query('DELETE FROM stream_totals WHERE tenant_id = $1 AND stream = $2', [tenantId, stream]);
      await db.query('DELETE FROM stream_minutes WHERE tenant_id = $1 AND stream = $2', [tenantId, stream]);
      await db.query('DELETE FROM stream_settings WHERE tenant_id = $1 AND stream = $2', [tenantId, stream]);
      await db.query('DELETE FROM stream_mutes WHERE tenant_id = $1 AND stream = $2', [tenantId, stream]);
      const b = blocks.rowCount ?? 0;
      const a = anomalies.rowCount ?? 0;
      return { deleted: b + a + (totals.rowCount ?? 0) > 0, blocks: b, anomalies: a };
    });
  }

  /** Mutes the stream (pattern null) or anomalies whose explanation or event contains `pattern`, until `untilMs`. */
  async mute(tenantId: string, stream: string, pattern: string | null, untilMs: number, userId: string | null): Promise<Mute> {
    const { rows } = await this.#pool.query<{ stream: string; pattern: string | null; until: Date; created_at: Date }>(
      `INSERT INTO stream_mutes (tenant_id, stream, pattern, until, created_by) VALUES ($1, $2, $3, $4, $5)
       RETURNING stream, pattern, until, created_at`, [tenantId, stream, pattern, new Date(untilMs), userId]);
    return muteJson(rows[0]);
  }

  async mutes(tenantId: string, stream?: string): Promise<Mute[]> {
    const { rows } = await this.#pool.query<{ stream: string; pattern: string | null; until: Date; created_at: Date }>(
      `SELECT stream, pattern, until, created_at FROM stream_mutes WHERE tenant_id = $1 AND until > now() AND ($2::text IS NULL OR stream = $2)
        ORDER BY until DESC`, [tenantId, stream ?? null]);
    return rows.map(muteJson);
  }

  async unmute(tenantId: string, stream: string): Promise<number> {
    const r = await this.#pool.query('DELETE FROM stream_mutes WHERE tenant_id = $1 AND stream = $2', [tenantId, stream]);
    return r.rowCount ?? 0;
  }
}

const muteJson = (r: { stream: string; pattern: string | null; until: Date; created_at: Date }): Mute =>
  ({ stream: r.stream, pattern: r.pattern, until: r.until.toISOString(), created_at: r.created_at.toISOString() });

/** Whether an anomaly (stream, explanation, event JSON) falls under one of the mutes in force. */
export function isMuted(mutes: readonly { stream: string; pattern: string | null; until: string }[], a: { stream: string; explanation: string; event: unknown }, now = Date.now()): boolean {
  let text: string | undefined;
  for (const m of mutes) {
    if (m.stream !== a.stream || Date.parse(m.until) <= now) continue;
    if (m.pattern === null) return true;
    text ??= `${a.explanation}\n${JSON.stringify(a.event)}`;
    if (text.includes(m.pattern)) return true;
  }
  return false;
}
