// The sequence detector's grouping (sessions.ts): an event's session key, and SessionTracker,
// the open sessions per entity closed by idle gap (event time) or by the bounds, judged against
// the reference (normal ones learnt), with its plain-JSON state (SessionState).
import { jsonBytes } from './budget.js';
import { fnv1a } from './fnv.js';
import { freshModel, learnSession, type SessionModel } from './sessions-model.js';
import { SESSION_PARAMS, type SessionParams } from './sessions-params.js';
import { explainSession, scoreSession, type SessionScore } from './sessions-score.js';

/** Bytes of an open session besides its key and sequence: first, last, dropped, brackets. */
const OPEN_BYTES = 80;
/** A longer session key is cut to its first KEY_KEEP characters and a hash of the whole. */
const MAX_KEY = 128;
const KEY_KEEP = 96;

/** A session key as kept: itself, or when longer than MAX_KEY its start and an FNV-1a hash of it. */
export function sessionKey(key: string): string {
  if (key.length <= MAX_KEY) return key;
  return `${key.slice(0, KEY_KEEP)}~${fnv1a(key).toString(36)}`;
}

const ID_FIELDS = ['trace_id', 'traceId', 'traceID', 'request_id', 'requestId', 'session_id', 'sessionId'] as const;
export const BLOCK_ID = /\bblk_-?\d+/;

/**
 * The entity an event belongs to: the metadata field named in the stream's settings if given,
 * else a trace/request/session id in the metadata, else an HDFS block id in the text; null when
 * there is none (the event is in no session).
 */
export function sessionKeyOf(text: string, metadata?: Readonly<Record<string, unknown>> | null, field?: string): string | null {
  const pick = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);
  if (metadata !== undefined && metadata !== null) {
    if (field !== undefined) return pick(metadata[field]);
    for (const f of ID_FIELDS) {
      const k = pick(metadata[f]);
      if (k !== null) return k;
    }
  } else if (field !== undefined) return null;
  return BLOCK_ID.exec(text)?.[0] ?? null;
}

interface OpenSession {
  first: number;
  last: number;
  seq: string[];
  dropped: number;
  /** Its bytes in the state (key, sequence, numbers), as budget.ts accounts them; not serialised. */
  bytes?: number;
}

function openBytes(key: string, seq: readonly string[]): number {
  let b = jsonBytes(key) + OPEN_BYTES;
  for (const t of seq) b += jsonBytes(t) + 1;
  return b;
}

export interface ClosedSession {
  key: string;
  first: number;
  last: number;
  seq: string[];
  dropped: number;
}

/** Serialisable: open sessions in last-touch order, and the reference. */
export interface SessionState {
  open: [string, number, number, string[], number][];
  model: SessionModel;
}

export interface SessionFinding {
  session: ClosedSession;
  score: SessionScore;
  explanation: string;
}

/**
 * Open sessions per entity, in last-touch order (a Map re-inserted on touch), so closing the idle
 * ones looks only at the front. Event time should not go backwards; an event older than its
 * session's last one is still added (its session is not reopened once closed).
 */
export class SessionTracker {
  readonly #open = new Map<string, OpenSession>();
  readonly model: SessionModel;
  readonly #params: SessionParams;
  /** Bytes of the open sessions (maxOpenBytes bounds it). */
  #openBytes = 0;

  constructor(state: SessionState | null = null, params: SessionParams = SESSION_PARAMS) {
    this.#params = params;
    this.model = state?.model ?? freshModel();
    for (const [key, first, last, seq, dropped] of state?.open ?? []) {
      const bytes = openBytes(key, seq);
      this.#openBytes += bytes;
      this.#open.set(key, { first, last, seq, dropped, bytes });
    }
  }

  /** Bytes of the open sessions, as budget.ts accounts them. */
  get openBytes(): number {
    return this.#openBytes;
  }

  #close(k: string, o: OpenSession): ClosedSession {
    this.#open.delete(k);
    this.#openBytes -= o.bytes ?? 0;
    return { key: k, first: o.first, last: o.last, seq: o.seq, dropped: o.dropped };
  }

  get openSessions(): number {
    return this.#open.size;
  }

  /** Adds one event; returns the sessions it closes (idle ones, or the oldest when over the bound). */
  add(fullKey: string, template: string, ts: number): ClosedSession[] {
    const key = sessionKey(fullKey);
    const closed = this.closeIdle(ts);
    let s = this.#open.get(key);
    if (s === undefined) {
      s = { first: ts, last: ts, seq: [], dropped: 0, bytes: openBytes(key, []) };
      this.#openBytes += s.bytes as number;
    } else this.#open.delete(key);
    if (s.seq.length < this.#params.maxSessionEvents) {
      s.seq.push(template);
      const b = jsonBytes(template) + 1;
      s.bytes = (s.bytes ?? 0) + b;
      this.#openBytes += b;
    } else s.dropped++;
    s.last = Math.max(s.last, ts);
    this.#open.set(key, s);
    while (this.#open.size > this.#params.maxOpenSessions || (this.#openBytes > this.#params.maxOpenBytes && this.#open.size > 1)) {
      const [k, o] = this.#open.entries().next().value as [string, OpenSession];
      closed.push(this.#close(k, o));
    }
    return closed;
  }

  /** Closes every session idle for more than idleGapMs at event time `now`. */
  closeIdle(now: number): ClosedSession[] {
    const out: ClosedSession[] = [];
    for (const [k, o] of this.#open) {
      if (now - o.last <= this.#params.idleGapMs) break;
      out.push(this.#close(k, o));
    }
    return out;
  }

  /**
   * Scores closed sessions in order: findings after warm-up; normal ones join the reference. A
   * session of one event has no sequence (its line was judged by the line detectors): counted,
   * neither judged nor learnt (a fresh trace id per line made every line a session, and a
   * template first met after the warm-up was flagged at exactly 0.5 forever, never learnt).
   */
  judge(closed: readonly ClosedSession[], threshold = 0.5): SessionFinding[] {
    const out: SessionFinding[] = [];
    for (const c of closed) {
      if (c.seq.length < 2) {
        this.#count(c.seq);
        continue;
      }
      const warm = this.model.sessions >= this.#params.minReference;
      const s = scoreSession(this.model, c.seq, this.#params);
      if (warm && s.score >= 0.5) {
        if (s.score >= threshold) out.push({ session: c, score: s, explanation: explainSession(c.key, c.seq, s, this.model) });
      } else learnSession(this.model, c.seq, this.#params);
      this.#count(c.seq);
    }
    return out;
  }

  /** Counts a judged session's templates in model.seen (bounded by maxTemplates). */
  #count(seq: readonly string[]): void {
    const m = this.model;
    m.judged = (m.judged ?? 0) + 1;
    m.seen ??= {};
    let size = Object.keys(m.seen).length;
    for (const t of new Set(seq)) {
      if (m.seen[t] === undefined) {
        if (size >= this.#params.maxTemplates) continue;
        size++;
      }
      m.seen[t] = (m.seen[t] ?? 0) + 1;
    }
  }

  state(): SessionState {
    return { open: [...this.#open].map(([k, o]) => [k, o.first, o.last, o.seq, o.dropped]), model: this.model };
  }
}
