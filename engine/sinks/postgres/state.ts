// Detector state checkpoints in PostgreSQL (table detector_states), so a restart, an upgrade or
// an evicted stream resumes where it was instead of warming up again.
//
//   Scorer ── first task of a stream ──► load(tenant, type, stream) ──► state bytes | null
//          ── every interval, on eviction, at close ──► save([{tenant, type, stream, state}, …])
//                                                        one upsert (unnest) per call
//
// What is stored: the worker's state bytes exactly as its last task returned them, with a
// `format` number for the envelope. Format 1 = those bytes as they are; each detector's JSON
// inside carries its own version and migrates older versions itself (the numeric detector takes
// its version-1 states, the form before checkpoints existed). A row of a format this engine does
// not know (written by a newer engine) is not used: the stream starts fresh and it is logged.
// `incidents`: the stream's open incidents (engine/transforms/incidents.ts), JSON text with its
// own version, saved with the state they go with; null in rows written before it existed.
import type pg from 'pg';
import type { Logger } from '../../../src/core/log.js';
import type { StreamType } from '../../../workers/types.js';

export const STATE_FORMAT = 1;

export interface StateKey {
  tenantId: string;
  streamType: StreamType;
  stream: string;
}

export interface StateRow extends StateKey {
  state: Uint8Array;
  /** logs, traces: the session tracker's state, if the stream has one. */
  sessionState: Uint8Array | null;
  /** The stream's open incidents (transforms/incidents.ts saveIncidents); absent or null: none. */
  incidents?: string | null;
}

export interface SavedState {
  state: Uint8Array;
  sessionState: Uint8Array | null;
  /** Null for a stream without open incidents, or a row saved before incidents were checkpointed. */
  incidents: string | null;
}

/** What the scorer needs from a checkpoint store (tests may pass their own). */
export interface StateStore {
  load(key: StateKey): Promise<SavedState | null>;
  save(rows: readonly StateRow[]): Promise<void>;
}

export class DetectorStates implements StateStore {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly stats = { loaded: 0, missing: 0, saved: 0, saveCalls: 0, unknownFormat: 0 };

  constructor(pool: pg.Pool, log: Logger) {
    this.#pool = pool;
    this.#log = log.child({ sink: 'detector_states' });
  }

  async load(key: StateKey): Promise<SavedState | null> {
    const { rows } = await this.#pool.query<{ format: number; state: Buffer; session_state: Buffer | null; incidents: string | null }>(
      'SELECT format, state, session_state, incidents FROM detector_states WHERE tenant_id = $1 AND stream_type = $2 AND stream = $3',
      [key.tenantId, key.streamType, key.stream]);
    const row = rows[0];
    if (row === undefined) {
      this.stats.missing++;
      return null;
    }
    if (row.format !== STATE_FORMAT) {
      this.stats.unknownFormat++;
      this.#log.warn({ stream: key.stream, format: row.format }, 'DetectorStateFormatUnknown: a checkpoint of a newer format is ignored; the stream starts fresh');
      return null;
    }
    this.stats.loaded++;
    // Buffers of their own: the scorer transfers them to a worker thread (a pooled slab must not be).
    return { state: new Uint8Array(row.state), sessionState: row.session_state === null ? null : new Uint8Array(row.session_state), incidents: row.incidents };
  }

  /**
   * Upserts the states; one of a tenant deleted meanwhile is skipped (it would fail the foreign key, and the whole batch with it).
   * `db`: a client inside a transaction (the cluster's detect role saves states with the JetStream sequence they cover).
   */
  async save(rows: readonly StateRow[], db: pg.Pool | pg.PoolClient = this.#pool): Promise<void> {
    if (rows.length === 0) return;
    await db.query(
      `INSERT INTO detector_states AS d (tenant_id, stream_type, stream, format, state, session_state, incidents, updated_at)
       SELECT t, y, s, $4, b, sb, i, now() FROM unnest($1::uuid[], $2::text[], $3::text[], $5::bytea[], $6::bytea[], $7::text[]) AS u(t, y, s, b, sb, i)
       WHERE EXISTS (SELECT 1 FROM tenants WHERE id = u.t)
       ON CONFLICT (tenant_id, stream_type, stream) DO UPDATE SET format = EXCLUDED.format, state = EXCLUDED.state, session_state = EXCLUDED.session_state, incidents = EXCLUDED.incidents, updated_at = now()`,
      [rows.map((r) => r.tenantId), rows.map((r) => r.streamType), rows.map((r) => r.stream), STATE_FORMAT, rows.map((r) => bytes(r.state)), rows.map((r) => (r.sessionState === null ? null : bytes(r.sessionState))), rows.map((r) => r.incidents ?? null)]);
    this.stats.saved += rows.length;
    this.stats.saveCalls++;
  }
}

const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
