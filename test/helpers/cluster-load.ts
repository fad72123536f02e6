// Load for the cluster tests: connections that each send numbered events of their own streams in
// keyed batches over HTTP, resending a batch (same idempotency key) until it is acknowledged, and
// the checks of what was stored and scored: every stream's events stored once each in order,
// each scored once (test/fixtures/score-order.mjs: one fixture_seen row per event, fixture_order
// for an event out of order).
import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type pg from 'pg';
import { PARTITIONS, partitionOf } from '../../engine/cluster/partition.js';
import { isTickMessage } from '../../engine/cluster/ticks.js';
import { storedEvents } from './events.js';
import { waitFor } from './net.js';

export interface Sender {
  /** Events acknowledged so far. */
  acked: number;
  /** Resends (a batch refused or not answered, sent again with its key). */
  resends: number;
}

/** One connection: `batches` batches of `perBatch` events spread over its streams, each acknowledged before the next. */
export async function sendNumbered(
  url: string, key: string, name: string, streams: string[], batches: number, perBatch: number, s: Sender, deadlineMs = 120_000,
): Promise<void> {
  const next = new Map(streams.map((x) => [x, 0]));
  const deadline = Date.now() + deadlineMs;
  for (let b = 0; b < batches; b++) {
    const events = [];
    for (let i = 0; i < perBatch; i++) {
      const stream = streams[i % streams.length];
      const k = next.get(stream)!;
      next.set(stream, k + 1);
      events.push({ timestamp: new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString(), stream_type: 'logs', stream, data: `n=${k}` });
    }
    const body = JSON.stringify(events);
    for (;;) {
      if (Date.now() > deadline) throw new Error(`${name}: batch ${b} not acknowledged before the deadline`);
      try {
        const res = await fetch(`${url}/api/v1/events/ingest`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': `${name}-${b}` }, body,
          signal: AbortSignal.timeout(30_000),
        });
        await res.text();
        if (res.status === 200) break;
      } catch { /* not answered: resent */ }
      s.resends++;
      await new Promise((r) => setTimeout(r, 200));
    }
    s.acked += perBatch;
  }
}

/** Per stream, the numbers of its stored events in stored order. */
export async function storedNumbers(pool: pg.Pool, tenantId: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const e of await storedEvents(pool, { tenantId })) {
    const list = out.get(e.stream) ?? [];
    list.push(Number(/n=(\d+)/.exec(String(e.data))?.[1] ?? -1));
    out.set(e.stream, list);
  }
  return out;
}

/** Per stream, the numbers of the events scored (fixture_seen rows), and the count of fixture_order rows. */
export async function scoredNumbers(pool: pg.Pool, tenantId: string): Promise<{ seen: Map<string, number[]>; outOfOrder: number }> {
  const r = await pool.query<{ stream: string; detector: string; n: number }>(
    "SELECT stream, detector, (details->>'n')::int AS n FROM anomalies WHERE tenant_id = $1 ORDER BY stream, n", [tenantId]);
  const seen = new Map<string, number[]>();
  let outOfOrder = 0;
  for (const row of r.rows) {
    if (row.detector === 'fixture_order') { outOfOrder++; continue; }
    const list = seen.get(row.stream) ?? [];
    list.push(row.n);
    seen.set(row.stream, list);
  }
  return { seen, outOfOrder };
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A metric stream's values: noise around 100, +40 at the `spikes` indexes (deterministic per stream number). */
export function metricSeries(s: number, points: number, spikes: ReadonlySet<number>): number[] {
  let x = 12345 + s * 977;
  const rnd = (): number => { x = (x * 1103515245 + 12345) % 2 ** 31; return x / 2 ** 31; };
  return range(points).map((i) => 100 + (rnd() - 0.5) * 2 + (spikes.has(i) ? 40 : 0));
}

/** Batch `b` (of `perBatch` points, one a minute from t0) of a metric stream, as the ingest API takes it. */
export const metricBatch = (stream: string, b: number, perBatch: number, values: readonly number[], t0: number): { timestamp: string; stream_type: string; stream: string; data: number }[] =>
  values.slice(b * perBatch, (b + 1) * perBatch).map((v, j) => ({
    timestamp: new Date(t0 + (b * perBatch + j) * 60_000).toISOString(), stream_type: 'metrics', stream, data: v,
  }));

/**
 * The findings of the same batches scored in order by the worker function itself (dist/workers/score.js),
 * one stream after the other: `stream|event ts|detector` (and `|score` with withScore).
 */
export async function referenceFindings(streams: readonly { stream: string; values: readonly number[] }[], perBatch: number, t0: number, withScore = false): Promise<Set<string>> {
  const { fileURLToPath } = await import('node:url');
  const { DEFAULT_PROFILE } = await import('../../engine/transforms/stream-settings.js');
  type Score = (t: import('../../workers/types.js').ScoreTask) => import('../../workers/types.js').ScoreResult;
  const score = (await import(fileURLToPath(new URL('../../dist/workers/score.js', import.meta.url)))).default as Score;
  const out = new Set<string>();
  for (const { stream, values } of streams) {
    let state: Uint8Array | null = null;
    for (let b = 0; b * perBatch < values.length; b++) {
      const events = metricBatch(stream, b, perBatch, values, t0).map((e) => ({ ts: Date.parse(e.timestamp), value: e.data }));
      const r = score({ stream, streamType: 'metrics', state, events: new TextEncoder().encode(JSON.stringify(events)), threshold: DEFAULT_PROFILE.threshold });
      if (!r.ok) throw new Error(r.message);
      state = r.state;
      for (const f of r.findings) out.add(`${stream}|${events[f.index].ts}|${f.detector}${withScore ? `|${f.score}` : ''}`);
    }
  }
  return out;
}

/** The holder of each partition's lease (KV bucket dw_leases): a detect role's id, or null (free or released). */
export const leaseOwners = (kv: KV): Promise<(string | null)[]> => Promise.all(range(PARTITIONS).map(async (p) => {
  const e = await kv.get(`p.${p}`);
  return e === null || e.operation !== 'PUT' ? null : e.json<{ owner: string | null }>().owner;
}));

/**
 * A stream name (web-0 … web-63) whose partition for tenant `a` and whose partition for tenant `b`
 * have different holders in `owners`, or undefined. partitionOf (FNV-1a modulo 16) keeps only the
 * low four bits, which depend only on the low four bits of each character: two tenant ids that
 * leave them equal (about one pair in 16) give the same partition for every stream name, and no
 * name separates them (the caller takes another tenant).
 */
export const separatingStream = (owners: readonly (string | null)[], a: string, b: string): string | undefined =>
  range(64).map((k) => `web-${k}`).find((s) => owners[partitionOf(a, s)] !== owners[partitionOf(b, s)]);

/** Waits until every partition is held and `detectId` holds half of them (two detect processes balanced); the holders then. */
export const balancedOwners = (kv: KV, detectId: string | undefined): Promise<(string | null)[]> => waitFor(async () => {
  const o = await leaseOwners(kv);
  return o.every((x) => x !== null) && o.filter((x) => x === detectId).length === PARTITIONS / 2 ? o : undefined;
}, 60_000, 'the partitions split between the two detect processes');

/** The partitions (of `partitions`) whose checkpoint (cluster_offsets) is short of their subject's last message in DW_EVENTS. */
export async function uncheckpointed(jsm: JetStreamManager, pool: pg.Pool, partitions: readonly number[] = range(PARTITIONS)): Promise<number[]> {
  const offsets = new Map((await pool.query<{ partition: number; seq: string }>('SELECT partition, seq FROM cluster_offsets')).rows.map((r) => [r.partition, Number(r.seq)]));
  const behind: number[] = [];
  for (const p of partitions) {
    const last = await jsm.streams.getMessage('DW_EVENTS', { last_by_subj: `dw.events.${p}` }).catch(() => null);
    if (last !== null && (offsets.get(p) ?? 0) < last.seq) behind.push(p);
  }
  return behind;
}

/** Why partitions are uncheckpointed (a failure message): each one's checkpoint, its subject's last sequence, and whether that last message is an idle tick or events. */
export async function behindDetail(jsm: JetStreamManager, pool: pg.Pool, partitions: readonly number[]): Promise<string> {
  const offsets = new Map((await pool.query<{ partition: number; seq: string }>('SELECT partition, seq FROM cluster_offsets')).rows.map((r) => [r.partition, Number(r.seq)]));
  const out: string[] = [];
  for (const p of partitions) {
    const last = await jsm.streams.getMessage('DW_EVENTS', { last_by_subj: `dw.events.${p}` }).catch(() => null);
    out.push(`p${p}: checkpoint ${offsets.get(p) ?? 0}, last ${last?.seq ?? 'none'} (${last === null ? '-' : isTickMessage(last.header) ? 'tick' : 'events'})`);
  }
  return out.join('; ');
}

/** Every partition scored and checkpointed at its last message, and every anomaly message stored (the store's consumer has nothing pending). */
export async function scoredAndStored(jsm: JetStreamManager, pool: pg.Pool): Promise<boolean> {
  if ((await uncheckpointed(jsm, pool)).length > 0) return false;
  const ci = await jsm.consumers.info('DW_ANOMALIES', 'dw-store-anomalies');
  return ci.num_pending === 0 && ci.num_ack_pending === 0;
}

/** Partition p's messages in DW_EVENTS, in log order (events and idle-tick messages). */
export async function partitionLog(jsm: JetStreamManager, p: number): Promise<StoredMsg[]> {
  const subject = `dw.events.${p}`;
  const last = await jsm.streams.getMessage('DW_EVENTS', { last_by_subj: subject }).catch(() => null);
  const out: StoredMsg[] = [];
  for (let seq = 1; last !== null && seq <= last.seq; seq++) {
    const m = await jsm.streams.getMessage('DW_EVENTS', { seq }).catch(() => null);
    if (m !== null && m.subject === subject) out.push(m);
  }
  return out;
}

/**
 * Partition p's last message with events: the subject's last message may be an idle tick (the
 * holder ticks a stream quiet for a tick interval, engine/cluster/ticks.ts), which is not when the
 * stream's events were stored.
 */
export async function lastEventsMessage(jsm: JetStreamManager, p: number): Promise<StoredMsg | undefined> {
  const subject = `dw.events.${p}`;
  const last = await jsm.streams.getMessage('DW_EVENTS', { last_by_subj: subject }).catch(() => null);
  for (let seq = last?.seq ?? 0; seq >= 1; seq--) {
    const m = seq === last!.seq ? last : await jsm.streams.getMessage('DW_EVENTS', { seq }).catch(() => null);
    if (m !== null && m.subject === subject && !isTickMessage(m.header)) return m;
  }
  return undefined;
}
