// Never-seen pairs in a stream of JSON records (logs.ts): an actor doing what it never did.
//
//   JSON record ─► its fields as key=value words (json-line.ts, the nested ones too)
//        │  its actor: the first field whose name is an actor's (user, username, principalId,
//        │  invokedBy, alternateId, ...: ACTOR_KEY) and whose value keeps a name beside its id
//        │  runs (valueClass: a role's fresh session on each call is one actor), else the first
//        │  such field (an id alone); the other actor fields are neither actor nor value
//        ▼  per actor (LogsState.ap, at most maxActors, the least recently seen out): the record's
//        │  other fields' values seen with it (32-bit hashes of `key=value`; per key its count of
//        │  values and sightings), at most maxValues per key (a key past them is wide for the
//        │  actor: a name, a path); a key that shows an id-like value with the actor (4 or more digits: a time, an
//        │  address, a size, a version; a generated name, `default-7c9f2`) is wide for it at once;
//        │  a value of more than 64 characters is left out
//        ▼  judged once the actor's pairs are settled: seen on minSeen records, no new pair for
//        │  quietLines of its records and quietMs of event time (and quietShare of all its records
//        │  and of its time since its first) (a
//        │  fresh actor on its first records, a person's first hour, learns without a finding);
//        │  only a new value of a key that recurs with the actor (sightings ≥ repeats × values)
//        │  is news, a key new to the actor is learnt silently
//   a new value of a field for a settled actor: one finding per record, "A pair never seen: actor
//   user.username=system:serviceaccount:karpenter:karpenter with objectRef.resource=secrets. In
//   its 681 earlier records this actor showed no new field value for its last 453 records and
//   0.6 h of event time ..."; score q / (q + 1), q = min(quiet records / quietLines, quiet time /
//   quietMs)
//
// Why: the template miner puts an audit log's calls of many APIs in one template (`eventName=<*>`),
// and a slot's value that is common in the stream (DescribeInstances, secrets, iam.amazonaws.com)
// is no news to the slot statistics, whoever sends it: an app's Lambda role reading IAM, Karpenter
// reading Argo CD's secrets, a backup user creating users (cloud generator: unusual_actor and
// privilege_escalation). What is new is the pair. A flagged pair is learnt but does not unsettle
// the actor for maxFlagged records (an escalation is several new calls in a row); after that many
// the actor has changed what it does and learns again.
//
// Bounded by counts (budget.ts PAIR_BUDGET): maxActors × (an actor word of ≤ maxWordBytes, 6
// numbers, maxKeys key records of 3 numbers, maxPairs hashes; keys past maxKeys are not judged). Event time only: a replay gives the
// same findings; nothing depends on the batch split.
import { jsonBytes } from './budget.js';
import { fnv1a } from './fnv.js';
import { ACTOR_KEY, valueClass } from './value-rate.js';
import { quietScore, type LogsState, type Part } from './logs-state.js';

export const PAIR_DETECTOR = 'field_pair';

export const PAIR_PARAMS = Object.freeze({
  /** Actors remembered per stream (the least recently seen out). */
  maxActors: 24,
  /** Per actor: value hashes (beyond them the actor is not judged) and keys counted (a key beyond them is not). */
  maxPairs: 64,
  maxKeys: 20,
  /** Per actor and key: values before the key counts as wide for the actor (a name, a path): not judged. */
  maxValues: 8,
  /** An actor word's value keeps at least this many characters beside its id runs, or it is an id alone (used only when the record has no other). */
  minName: 5,
  /** A word (key=value) of more JSON bytes than this is no actor and no value. */
  maxWordBytes: 130,
  /** A value with this many digits (a time, an address, a size, a version) is not categorical. */
  maxDigits: 4,
  maxValueChars: 64,
  /** The actor's records before it is judged, and since its last new pair: records and event time. */
  minSeen: 8,
  quietLines: 8,
  quietMs: 20 * 60_000,
  /** …and since its last new pair, at least this share of all its records and of the event time since its first (a person's first day keeps bringing new pairs). */
  quietShare: 0.5,
  /** A key is categorical for the actor once its sightings are at least this many times its values: only then is its new value news. */
  repeats: 8,
  /** Records flagged since the actor was last unsettled before a new pair unsettles it again. */
  maxFlagged: 6,
});

/** An actor's record: c = [records, records at last new pair, ts of last new pair, last ts, flagged since, 1 when full, ts of its first record]; k = [key hash, values or -1 wide, sightings, ...]; p = value hashes. */
export interface PairActor {
  c: number[];
  k: number[];
  p: number[];
}

function digits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * A generated name (a pod's `storefront-7c9f8d6b5-x2k4q` suffix, a revision `web:647`): a part of
 * 4 or more letters and digits mixed, or of 3 or more digits after a separator, in a longer value.
 */
const GENERATED = /(^|[-_:/.])((?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]{4,}|[0-9]{3,})($|[-_:/.])/i;
const ALL_DIGITS = /^[0-9]+$/;

/** A categorical value word (key=value) of the record; its key alone (`key=`) when the value is id-like (the key is then no category for the actor); null for a long one. */
function valueWord(w: string, eq: number): string | null {
  const P = PAIR_PARAMS;
  if (w.length - eq - 1 > P.maxValueChars || w.length > P.maxWordBytes) return null;
  const v = w.slice(eq + 1);
  if (v === '') return null;
  if (digits(v) >= P.maxDigits || (GENERATED.test(v) && !ALL_DIGITS.test(v))) return w.slice(0, eq + 1);
  return valueClass(w, eq);
}

/**
 * Learns the record's values for one actor: the first new value of a categorical key (one whose
 * sightings with the actor are at least repeats × its values: its values recur), '' when the new
 * pairs are all of keys new to the actor or of values that do not recur (names, paths), or null
 * when nothing was new.
 */
function learn(a: PairActor, values: readonly string[]): string | null {
  const P = PAIR_PARAMS;
  let first: string | null = null;
  for (const w of values) {
    const kh = fnv1a(w.slice(0, w.indexOf('=')));
    let ki = -1;
    for (let i = 0; i < a.k.length; i += 3) if (a.k[i] === kh) { ki = i; break; }
    if (w.endsWith('=')) {
      // An id-like value (a time, a generated name): the key is no category for this actor.
      if (ki >= 0) a.k[ki + 1] = -1;
      else if (a.k.length < 3 * P.maxKeys) a.k.push(kh, -1, 0);
      continue;
    }
    if (ki >= 0) {
      if (a.k[ki + 1] < 0) continue;
      a.k[ki + 2]++;
    }
    const vh = fnv1a(w);
    if (ki >= 0 && a.p.includes(vh)) continue;
    if (ki < 0) {
      if (a.k.length >= 3 * P.maxKeys) continue;
      a.k.push(kh, 0, 1);
      ki = a.k.length - 3;
    }
    const categorical = a.k[ki + 1] > 0 && a.k[ki + 2] - 1 >= P.repeats * a.k[ki + 1];
    if (++a.k[ki + 1] > P.maxValues) { a.k[ki + 1] = -1; continue; }
    if (a.p.length >= P.maxPairs) { a.c[5] = 1; continue; }
    a.p.push(vh);
    if (categorical && (first === null || first === '')) first = w;
    else first ??= '';
  }
  return first;
}

/**
 * Feeds one JSON record's words at event time `ts`: the finding (at least `threshold`) to out;
 * the score (0 without a new pair of a settled actor).
 */
export function pairNews(s: LogsState, words: readonly string[], ts: number, threshold: number, out: Part[]): number {
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return 0;
  const P = PAIR_PARAMS;
  // The record's actor: its first actor word that keeps a name beside its id runs (a role's
  // `assumed-role/orders-api-task/#`), else its first (`ARO#:#`, `00u#`: an id alone).
  let actor = '';
  let weak = '';
  const values: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) continue;
    if (ACTOR_KEY.test(w.slice(0, eq))) {
      if (actor !== '' || jsonBytes(w) > P.maxWordBytes || w.length === eq + 1) continue;
      const c = valueClass(w, eq);
      if (c.length - eq - 1 - (c.split('#').length - 1) >= P.minName) actor = c;
      else if (weak === '') weak = c;
    } else {
      const v = valueWord(w, eq);
      if (v !== null) values.push(v);
    }
  }
  if (actor === '') actor = weak;
  if (actor === '' || values.length === 0) return 0;
  const ap = (s.ap ??= {});
  let a = ap[actor];
  if (a === undefined) {
    a = { c: [0, 0, ts, ts, 0, 0, ts], k: [], p: [] };
    ap[actor] = a;
    trim(ap, actor);
  }
  const c = a.c;
  const lines = c[0] - c[1], ms = ts - c[2];
  const settled = c[5] === 0 && c[0] >= P.minSeen && lines >= P.quietLines && lines >= P.quietShare * c[0] && ms >= P.quietMs && ms >= P.quietShare * (ts - c[6]);
  c[0]++;
  c[3] = ts;
  const w = learn(a, values);
  if (w === null) return 0;
  if (!settled || w === '' || c[4] >= P.maxFlagged) {
    c[1] = c[0];
    c[2] = ts;
    c[4] = 0;
    return 0;
  }
  c[4]++;
  // Settled: both quiets at least their bounds, a score of at least 0.5.
  const score = quietScore(lines, ms, P.quietLines, P.quietMs) ?? 0;
  if (score >= threshold) {
    const seen = c[0] - 1;
    out.push({
      score,
      detector: PAIR_DETECTOR,
      explanation: `A pair never seen: actor ${actor} with ${w}. In its ${seen} earlier records this actor showed no new field value for its last ${lines} records and ${(ms / 3_600_000).toFixed(1)} h of event time (its pairs count as settled from ${P.quietLines} records and ${P.quietMs / 60_000} min on).`,
      details: { kind: 'new_pair', actor, value: w, seen, quiet_lines: lines, quiet_ms: ms },
    });
  }
  return score;
}

/** Drops the least recently seen actor beyond maxActors (ties by name), never `keep`. */
function trim(ap: Record<string, PairActor>, keep: string): void {
  const names = Object.keys(ap);
  if (names.length <= PAIR_PARAMS.maxActors) return;
  let old = '';
  for (const n of names) if (n !== keep && (old === '' || ap[n].c[3] < ap[old].c[3] || (ap[n].c[3] === ap[old].c[3] && n < old))) old = n;
  delete ap[old];
}
