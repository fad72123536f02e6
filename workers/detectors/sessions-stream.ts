// The sequence detector on a log or trace stream's lines (workers/score.ts calls it for logs
// and traces): each line's session key and template, the stream's SessionTracker carried in
// task.sessionState, findings on the line that closes a session.
//
//   event ─► eventKeyOf: the stream's session field in the metadata (set: that field only), else a
//            trace/request/session id in the metadata, else lineKeyOf (blk_ id, trace/request/
//            session id in the text) ─► none: skipped (no state)
//        ─► lineTemplate(normalise(line)) ─► tracker.add(key, template, ts) ─► closed ─► judge
import { fnv1a } from './fnv.js';
import { BLOCK_ID, SESSION_PARAMS, SessionTracker, sessionKeyOf, type SessionParams, type SessionState } from './sessions.js';

/** An id in the text: an HDFS block, or a trace/request/session id written as key=value or "key": "value". */
const TEXT_ID = /\b(?:trace_?id|request_?id|session_?id)["']?\s*[:=]\s*["']?([\w.:-]{4,})/i;

/** A run of word characters, dots and dashes that holds a number class token. */
const WORD_WITH_NUMBER = /[\w.-]*<#>(?:[\w.-]|<#>)*/g;

/** The session key of a log line: an HDFS block id, else a trace/request/session id in the text; null when none. */
export function lineKeyOf(text: string): string | null {
  // Substring checks first: most lines have neither, and a regular expression over every line
  // costs ~2 µs (measured on the Loghub samples), a tenth of the text detector's budget.
  if (text.includes('blk_')) {
    const blk = BLOCK_ID.exec(text);
    if (blk !== null) return blk[0];
  }
  if (!(text.includes('_id') || text.includes('_ID') || text.includes('Id') || text.includes('ID'))) return null;
  return TEXT_ID.exec(text)?.[1] ?? null;
}

/**
 * An event's session key: with a session field (the stream's settings) the metadata's value of it
 * alone; else a trace/request/session id in the metadata (sessionKeyOf's fields: OTLP puts a
 * span's trace id in metadata.trace_id), else lineKeyOf(text). null: in no session. A string or a
 * finite number counts; an empty string, a placeholder ("-", all zeros, "null"), an object or a
 * boolean does not.
 */
export function eventKeyOf(text: string, metadata: Readonly<Record<string, unknown>> | null | undefined, field?: string): string | null {
  // sessionKeyOf on '' reads the metadata alone (its text fallback, blk_, finds nothing in '').
  if (field !== undefined) return metadata === null || metadata === undefined ? null : entityOf(sessionKeyOf('', metadata, field));
  if (metadata !== null && metadata !== undefined) {
    const k = entityOf(sessionKeyOf('', metadata));
    if (k !== null) return k;
  }
  return lineKeyOf(text);
}

/**
 * A value that names no entity: only zeros, dashes, dots, colons, slashes, underscores or spaces
 * ("-" of an access log, W3C's invalid all-zero trace id) or a word for none. Every event without
 * a real id would share it: one endless session of unrelated events, not an entity's.
 */
const PLACEHOLDER = /^(?:[-0_.:/\s]*|null|nil|none|undefined|unknown|n\/a)$/i;

const entityOf = (k: string | null): string | null => (k === null || PLACEHOLDER.test(k) ? null : k);

/**
 * The template of a line until the template layer names them: its normalised form (ids,
 * numbers, addresses as class tokens) without the numbers' magnitudes (a job number or a block
 * size that grows a digit is the same step), and a word holding a number as one token (an id
 * with a prefix, `ord_e1139276a51e7c`, `cart_63fc4e24`, `SKU-2527`, `blk_-16`, normalises to
 * letters and class tokens that differ from id to id: without this every line of a JSON log with
 * a fresh order id and a trace_id was a template of its own, so every one-line session held a
 * template no normal session held), hashed (FNV-1a, base 36) so the state stays small.
 */
export function lineTemplate(normalised: string): string {
  const t = normalised.replace(/<[NHX]\d+>/g, '<#>').replace(WORD_WITH_NUMBER, '<#>');
  return `t${fnv1a(t).toString(36)}`;
}

interface SessionsWire {
  v: 1;
  kind: 'sessions';
  tracker: SessionState;
}

export interface SessionsOut {
  /** null while the stream has never shown a session key (no state, no cost). */
  state: Uint8Array | null;
  findings: { index: number; score: number; explanation: string; details: Record<string, number | string | boolean> }[];
}

const wireEnc = new TextEncoder();
const wireDec = new TextDecoder('utf-8', { fatal: true });

/**
 * Runs a batch of a log/trace stream through its session tracker. `normalise` gives each line's
 * normalised form (the template stand-in); `field`, the stream's session field (eventKeyOf). A
 * session closed by an event (the idle gap passed in event time, or the open-session bound) is
 * judged there: a finding is on that event.
 */
export function scoreSessions(
  state: Uint8Array | null,
  events: readonly { ts: number; text?: string; metadata?: Record<string, unknown> | null; idle?: boolean }[],
  normalise: (line: string) => string,
  threshold = 0.5,
  params: SessionParams = SESSION_PARAMS,
  field?: string,
): SessionsOut {
  let tracker: SessionTracker | null = null;
  if (state !== null && state.length > 0) {
    const w = JSON.parse(wireDec.decode(state)) as SessionsWire;
    if (w === null || typeof w !== 'object' || w.v !== 1 || w.kind !== 'sessions') throw new TypeError('task.sessionState is not a sessions state (or a newer version)');
    tracker = new SessionTracker(w.tracker, params);
  }
  const findings: SessionsOut['findings'] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const text = typeof e?.text === 'string' ? e.text : '';
    const ts = typeof e?.ts === 'number' && Number.isFinite(e.ts) ? e.ts : Number.NaN;
    const meta = e?.metadata;
    const key = e?.idle === true ? null : eventKeyOf(text, meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? meta : null, field);
    if (key === null && tracker === null) continue;
    tracker ??= new SessionTracker(null, params);
    const closed = Number.isNaN(ts) ? [] : key === null ? tracker.closeIdle(ts) : tracker.add(key, lineTemplate(normalise(text)), ts);
    for (const f of tracker.judge(closed, threshold)) {
      findings.push({
        index: i, score: f.score.score, explanation: f.explanation,
        details: { kind: 'session', session: f.session.key, events: f.session.seq.length, first_ts: f.session.first, last_ts: f.session.last, excess_bits: f.score.excessBits, broken_invariants: f.score.brokenInvariants.length, novel_transitions: f.score.novelTransitions.length },
      });
    }
  }
  if (tracker === null) return { state: null, findings };
  const wire: SessionsWire = { v: 1, kind: 'sessions', tracker: tracker.state() };
  return { state: wireEnc.encode(JSON.stringify(wire)), findings };
}
