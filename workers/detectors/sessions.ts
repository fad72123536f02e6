// Sequence detector: the events of one entity (a trace, a request, an HDFS block) form a session;
// a closed session's template sequence is scored against the stream's normal sessions.
//
//   event ─► sessionKeyOf(text, metadata, field)   trace/request id, a metadata field, or blk_<n>
//        │ key, template id (the caller's template layer), event time
//        ▼
//   SessionTracker: open sessions in last-touch order ── idle > idleGapMs (event time) ──► closed
//        │ template sequence
//        ▼
//   scoreSession(model, sequence)
//     profile  = the sequence's template counts ("T1x3 T2x3 T5x1"): concurrent steps interleave
//                freely, so order inside a session is noise while the counts are its shape
//     cost     = |deflateRaw(profile, dictionary = the reference's profiles, commonest last)| bits
//     excess   = cost − the cost of the commonest reference profile (a perfect match)
//     novel    = transitions a→b (with start ^ and end $) never seen in a reference session
//     broken   = count invariants a·count(Ti) = b·count(Tj) (a, b ∈ 1..3) that hold in at least
//                invariantConf of the reference sessions holding Ti or Tj (Invariant Mining's
//                idea, pairwise): every block written is received as often as it is stored.
//                Robust to anomalies left in the reference, which compression is not
//     rare     = templates held by fewer than rareShare of the sessions (the reference's kept
//                profiles, or every session the tracker judged, flagged ones too, whichever holds
//                it more): a step no normal session takes, such as HDFS's "Receiving empty
//                packet", is anomalous however the counts compress, while one that became
//                common is not, though the sessions it first came in were never learnt
//        ─► score = max(excess / (excess + marginBits), 1 − 2^−novel, 1 − 2^−broken, 1 − 2^−rare)
//        ─► anomalous when score ≥ 0.5: excess ≥ marginBits, or any novel transition, broken invariant or rare template
//   normal sessions join the reference (hygiene: anomalous ones do not)
//
// Pure and deterministic: no clock (time is the events' time), no randomness. The state is
// plain JSON (SessionState), so it travels with a stream's task like the other detectors'.
//
// The parts: sessions-params.ts (SessionParams, SESSION_PARAMS), sessions-model.ts (the
// reference: profiles, transitions, invariant counts), sessions-score.ts (scoreSession,
// explainSession), sessions-tracker.ts (session keys, SessionTracker and its state);
// sessions-stream.ts runs it over a stream's lines. This file is the detector's one entry.

export const SESSION_DETECTOR = 'session_sequence';

export { SESSION_PARAMS, type SessionParams } from './sessions-params.js';
export { fitSessions, freshModel, learnSession, sessionProfile, type SessionModel } from './sessions-model.js';
export { explainSession, scoreSession, type SessionScore } from './sessions-score.js';
export {
  BLOCK_ID, sessionKey, sessionKeyOf, SessionTracker, type ClosedSession, type SessionFinding, type SessionState,
} from './sessions-tracker.js';
