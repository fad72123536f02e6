// The live feed of stored anomalies: one LISTEN connection per control-API instance, fanned out
// to the tenant's open pages (Server-Sent Events, plugins/live.ts) and to other listeners (alerts).
//
//   engine: pg_notify('dw_anomalies', "<tenant>:<ids>") at COMMIT (src/core/anomaly-feed.ts)
//     │
//     ▼  LISTEN dw_anomalies (a pooled client kept for it; re-opened with back-off when it drops)
//   LiveHub ── decode ──► SELECT the rows (tenant + ids) ──► subscribers of that tenant (pages)
//                                                       └──► anomaly listeners (alerts), every tenant
//
// With NATS_URL (issue 15) a second source feeds the same fan-out: the findings the detect role
// publishes on dw.anomalies.* (src/control/live/nats.ts ─► push()), as they are published, before
// the store role has written them. Whichever source announces an anomaly first delivers it; the
// other finds its id among the RECENT_IDS last delivered and delivers nothing (a NOTIFY whose ids
// were all pushed from NATS is not even read).
//
// Subscribers are capped per tenant (LIVE_MAX_CONNECTIONS_PER_TENANT): subscribe() throws
// DW_ERR_LIVE_LIMIT beyond it. Rows are read only when someone listens for that tenant.
import type pg from 'pg';
import { ANOMALY_CHANNEL, decodeAnomalyNote, type AnomalyWire } from '../../core/anomaly-feed.js';
import { DwError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { ANOMALY_COLUMNS, type AnomalyRow } from '../anomalies/service.js';
import { anomalyJson } from '../plugins/schemas.js';
import type { NatsAnomalyFeed } from './nats.js';

export type AnomalyJson = ReturnType<typeof anomalyJson>;
export type LiveSend = (anomalies: AnomalyJson[]) => void;
export type AnomalyListener = (tenantId: string, anomalies: AnomalyJson[]) => void | Promise<void>;

const RETRY_MIN_MS = 250;
/** Ids of the anomalies delivered last (either source), so the other source's announcement of them is dropped. */
const RECENT_IDS = 20_000;
const RETRY_MAX_MS = 10_000;

export class LiveHub {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #max: number;
  readonly #subs = new Map<string, Set<LiveSend>>();
  readonly #listeners: AnomalyListener[] = [];
  #client: pg.PoolClient | undefined;
  #closed = false;
  #retryMs = RETRY_MIN_MS;
  #timer: NodeJS.Timeout | undefined;
  #ready: Promise<void> | undefined;
  readonly #recent = new Set<string>();
  /** With NATS_URL: the second source (nats.ts), set by the live plugin. */
  nats: NatsAnomalyFeed | undefined;
  /** True while the NATS source delivers. */
  natsListening = false;
  /**
   * Counters: notifications received, anomalies pushed to pages, listen connections opened and lost;
   * findings received from NATS, and anomalies dropped as already delivered by the other source.
   */
  readonly stats = { notifications: 0, pushed: 0, connects: 0, disconnects: 0, refused: 0, natsFindings: 0, repeated: 0 };

  constructor(pool: pg.Pool, log: Logger, opts: { maxPerTenant: number }) {
    this.#pool = pool;
    this.#log = log.child({ component: 'live' });
    this.#max = opts.maxPerTenant;
  }

  /** Starts listening; resolves once LISTEN is in place (or the first attempt failed: it retries). */
  start(): Promise<void> {
    this.#ready ??= this.#connect();
    return this.#ready;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean { return this.#client !== undefined || this.natsListening; }

  connections(tenantId: string): number { return this.#subs.get(tenantId)?.size ?? 0; }

  /** Adds a page of the tenant; returns its unsubscribe. Throws DW_ERR_LIVE_LIMIT when the tenant has its maximum. */
  subscribe(tenantId: string, send: LiveSend): () => void {
    let set = this.#subs.get(tenantId);
    if (set !== undefined && set.size >= this.#max) {
      this.stats.refused++;
      throw new DwError('DW_ERR_LIVE_LIMIT', `at most ${this.#max} per tenant on this server`, { limit: this.#max });
    }
    if (set === undefined) this.#subs.set(tenantId, set = new Set());
    set.add(send);
    return () => {
      set.delete(send);
      if (set.size === 0 && this.#subs.get(tenantId) === set) this.#subs.delete(tenantId);
    };
  }

  /** Called with every tenant's stored anomalies as they are announced (alerts). */
  onAnomalies(listener: AnomalyListener): void { this.#listeners.push(listener); }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const c = this.#client;
    this.#client = undefined;
    if (c !== undefined) {
      await c.query(`UNLISTEN ${ANOMALY_CHANNEL}`).catch(() => undefined);
      c.release();
    }
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      const c = client;
      c.on('notification', (n) => { if (n.channel === ANOMALY_CHANNEL && n.payload !== undefined) void this.#note(n.payload); });
      c.on('error', (err) => this.#lost(c, err));
      c.on('end', () => this.#lost(c, new Error('connection ended')));
      await c.query(`LISTEN ${ANOMALY_CHANNEL}`);
      if (this.#closed) { c.release(); return; }
      this.#client = c;
      this.#retryMs = RETRY_MIN_MS;
      this.stats.connects++;
    } catch (err) {
      client?.release(err as Error);
      this.#log.warn({ err }, 'LiveListenError: cannot LISTEN for anomalies; retrying');
      this.#retry();
    }
  }

  #lost(c: pg.PoolClient, err: Error): void {
    if (this.#client !== c) return;
    this.#client = undefined;
    this.stats.disconnects++;
    c.release(err);
    if (this.#closed) return;
    this.#log.warn({ err }, 'LiveListenError: the LISTEN connection dropped; re-opening');
    this.#retry();
  }

  #retry(): void {
    if (this.#closed) return;
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
    this.#timer = setTimeout(() => { void this.#connect(); }, wait);
    this.#timer.unref();
  }

  async #note(payload: string): Promise<void> {
    this.stats.notifications++;
    const note = decodeAnomalyNote(payload);
    if (note === undefined) return;
    const pages = this.#subs.get(note.tenantId);
    if ((pages === undefined || pages.size === 0) && this.#listeners.length === 0) return;
    const ids = note.ids.filter((id) => !this.#recent.has(id));
    this.stats.repeated += note.ids.length - ids.length;
    if (ids.length === 0) return;
    let rows: AnomalyRow[];
    try {
      rows = (await this.#pool.query<AnomalyRow>(
        `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY detected_at, id`,
        [note.tenantId, ids])).rows;
    } catch (err) {
      this.#log.warn({ err }, 'LiveReadError: announced anomalies could not be read');
      return;
    }
    await this.#deliver(note.tenantId, rows);
  }

  /** Findings from NATS (nats.ts), one message's rows: delivered as the stored rows will read (status open). */
  async push(rows: readonly AnomalyWire[]): Promise<void> {
    this.stats.natsFindings += rows.length;
    const byTenant = new Map<string, AnomalyRow[]>();
    for (const a of rows) {
      let list = byTenant.get(a.tenantId);
      if (list === undefined) byTenant.set(a.tenantId, list = []);
      list.push(wireRow(a));
    }
    for (const [tenantId, list] of byTenant) await this.#deliver(tenantId, list);
  }

  async #deliver(tenantId: string, all: readonly AnomalyRow[]): Promise<void> {
    const rows = all.filter((r) => !this.#recent.has(r.id));
    this.stats.repeated += all.length - rows.length;
    if (rows.length === 0) return;
    for (const r of rows) this.#recent.add(r.id);
    // A Set iterates in insertion order: the oldest ids go first.
    for (const id of this.#recent) {
      if (this.#recent.size <= RECENT_IDS) break;
      this.#recent.delete(id);
    }
    const list = rows.map(anomalyJson);
    for (const send of this.#subs.get(tenantId) ?? []) {
      this.stats.pushed += list.length;
      send(list);
    }
    for (const l of this.#listeners) {
      try {
        await l(tenantId, list);
      } catch (err) {
        this.#log.warn({ err }, 'LiveListenerError: an anomaly listener failed');
      }
    }
  }
}

/** A finding from NATS as the row the store role writes (anomalies: status open, not resolved). */
function wireRow(a: AnomalyWire): AnomalyRow {
  return {
    id: a.id, stream: a.stream, stream_type: a.streamType, score: a.score, detector: a.detector, explanation: a.explanation,
    event: JSON.parse(a.eventJson), details: JSON.parse(a.detailsJson), event_ts: new Date(a.eventTs), detected_at: new Date(a.detectedAt),
    status: 'open', resolved_at: null, incident_id: a.incidentId,
  };
}
