// A template's variable slots (logs.ts), and whether a line's new text is explained by them.
//
//   line of a known template, the template unchanged by it (templates.ts match: not created,
//   not changed), its compression surprise high (text.ts)
//        ─► its slots' values that carry text (words left once ids, numbers and hex are
//           normalised away: a path, a name; not a date, a counter, an address)
//        ─► each such value: already seen in its slot → not new; new in an id-like slot
//           (more values than a low-cardinality field has, where fields.ts judges an unseen
//           value only once the slot is settled, as for ids, users, hashes; or, from 3 sightings on, at least half of them a
//           value seen only that once: Good-Turing's chance of a new value) → benign novelty; a blob longer than a slot
//           keeps (an encoded payload), or a new value in any other slot → not explained
//        ─► explained when at least one value is benign novelty and none is unexplained: the
//           line is normal (its surprise is the new value of a slot that takes new values)
import { fieldEq, WILD, type Template, type TemplateMiner } from './templates.js';
import { FIELD_PARAMS, fieldBytes, seenOnce, type FieldStats } from './fields.js';
import { flushField } from './field-counts.js';
import { normalise } from './normalise.js';
import { skeleton } from './text-words.js';

/**
 * New values are the rule in a slot whose sightings have mostly each brought a value never seen
 * before (Good-Turing: the share of sightings that are a value's only one estimates the chance
 * that the next value is new): from minSightings sightings on, when the values seen once are at
 * least `share` of the sightings, the slot is id-like even with few values.
 */
export const SLOT_NEW_PARAMS = Object.freeze({
  minSightings: 3,
  share: 0.5,
  /**
   * A young template (seen at most this many times, the line counted) and a line without a
   * severity word: Good-Turing from the first sighting on (a slot whose one sighting was a
   * value's only one expects a new value next), and a line that widens it (a constant of its one
   * or few lines becomes a slot) is judged so too. A nightly mysqldump's slow-log entries, one
   * per table, and a stream's first autovacuum/analyze reports, one per table: the 2nd and 3rd
   * tables were news (db 201-210: 41 false alarms, 20 of them the dump's). A template seen more
   * often keeps minSightings, and widening it stays news.
   */
  young: 4,
});

/** The longest slot value judged (longer ones are blobs: not kept, not judged). */
export const MAX_SLOT_VALUE = 64;

/**
 * A slot's value that is the PROCID of an RFC 5424 header (`<PRI>1 TIMESTAMP HOST APP PROCID ...`),
 * counted as this one value (logs-values.ts): a restarted service, or its program run by cron,
 * logs under a new process id, which is an id, not news.
 */
export const PROCESS_VALUE = '<procid>';

const RFC5424_PRI = /^<\d{1,3}>1$/;

/** Whether token i of a line is the PROCID of an RFC 5424 header. */
export function processValue(tokens: readonly string[], i: number): boolean {
  return i === 4 && RFC5424_PRI.test(tokens[0]);
}

/**
 * A slot's longer values are counted as this one value (logs-values.ts): a slot that holds long
 * values (object keys, URLs, paths with dates and ids) is known as such, and an unseen long value
 * in a slot of short ones is news (an encoded payload where there was none).
 */
export const LONG_VALUE = '<long>';

/**
 * A slot's value that is the date (counted as this one value, logs-values.ts): the calendar moves
 * on at midnight, so a date never seen in a line's prefix is not news, nor a context of its own.
 */
export const CALENDAR_VALUE = '<date>';

const ISO_DATE = /^\[?\d{4}[-/]\d{2}[-/]\d{2}(?:$|[T ])/;
const DAY = /^\d{1,2},?$/;
const MONTH = /^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?$/i;

/**
 * Whether a slot's value (token i of a line) is the date: an ISO date (`2026-08-25`, `2026/08/25`, a
 * timestamp that begins with one), or a day of month beside a month name (`25 Aug 2026`, `Aug 25 00:00:01`).
 */
export function calendarValue(x: string, tokens: readonly string[], i: number): boolean {
  // Both begin with a digit (an ISO date may have a '[' first): most values are ruled out without a regular expression.
  const c = x.charCodeAt(0);
  if (c !== 91 && !(c >= 48 && c <= 57)) return false;
  // An ISO date takes at least 10 characters, a day at most 3.
  if (x.length >= 10 && ISO_DATE.test(x)) return true;
  if (x.length > 3 || !DAY.test(x)) return false;
  return (i > 0 && MONTH.test(tokens[i - 1])) || (i + 1 < tokens.length && MONTH.test(tokens[i + 1]));
}

/**
 * A slot whose sightings have mostly been long values (at least `share` of them, from
 * minSightings sightings on): a new long value of it is benign novelty like an id's.
 */
export const SLOT_LONG_PARAMS = Object.freeze({ minSightings: 3, share: 0.5 });

/**
 * A template's variable slots, worked out once per template (its tokens change only when a
 * line widens it, and the miner then drops the cache): token positions, names (`#i`, or the key
 * of a `key=<*>` slot), how much of the token precedes the value (0 for a bare slot), and the
 * stream's statistics for each slot once they exist (the objects in LogsState.s and .k, never
 * replaced while the template lives).
 */
export interface SlotLayout {
  pos: number[];
  names: string[];
  cut: number[];
  /**
   * The name the slot is also judged under, pooled over the stream's templates, or null: a keyed
   * slot's key (one that does not start with #), or for a bare slot after a plain word, the word
   * and the slot (`via <*>`: dhcpd's interface in its DISCOVER, OFFER, REQUEST and ACK lines).
   */
  pool: (string | null)[];
  stats: Record<string, FieldStats> | undefined;
  fields: (FieldStats | undefined)[];
  /** The key pooled over the stream's templates: undefined before the first look and while the pool has no room for it (field-table.ts). */
  pooled: (FieldStats | null | undefined)[];
}

export function slotLayout(t: Template): SlotLayout {
  if (t.layout !== undefined) return t.layout as SlotLayout;
  const L: SlotLayout = { pos: [], names: [], cut: [], pool: [], stats: undefined, fields: [], pooled: [] };
  const tt = t.tokens;
  for (let i = 0; i < tt.length; i++) {
    const x = tt[i];
    const keyed = x.length > 4 && x.endsWith('=<*>');
    if (x !== WILD && !keyed) continue;
    L.pos.push(i);
    const name = keyed ? x.slice(0, x.length - 4) : `#${i}`;
    L.names.push(name);
    L.cut.push(keyed ? x.length - 3 : 0);
    L.pool.push(keyed ? (name.startsWith('#') ? null : name) : bareKey(tt, i));
    L.fields.push(undefined);
    L.pooled.push(undefined);
  }
  t.layout = L;
  return L;
}

/** readSlot's answer (one object, overwritten by each call). */
export const slotRead = { name: '', value: '', own: true };

/** Whether token tok is slot k's own value: a bare slot, or a keyed one whose token carries its key. */
export function ownSlot(L: SlotLayout, k: number, tok: string): boolean {
  const cut = L.cut[k];
  return cut === 0 || (tok.length >= cut && tok.charCodeAt(cut - 1) === 61 /* = */ && tok.startsWith(L.names[k]));
}

/**
 * Slot k's name and value in token `tok` (token i of the line). A keyed slot (`key=<*>`) is read
 * only from a token of its own key: records of two shapes with one field different at the same
 * position (a Kubernetes audit record's `objectRef.subresource=log` where the template's other
 * lines have `objectRef.apiGroup=apps`) fall into one template, and the other key's token cut at
 * the slot key's length gave values such as "=log" or "n=v1". Such a token is read as its own
 * key's value (own false; a token without a key as the bare slot `#i`).
 */
export function readSlot(L: SlotLayout, k: number, tok: string, i: number): typeof slotRead {
  const r = slotRead;
  const cut = L.cut[k];
  r.own = true;
  r.name = L.names[k];
  if (cut === 0) r.value = tok;
  else if (ownSlot(L, k, tok)) r.value = tok.slice(cut);
  else {
    const eq = fieldEq(tok);
    r.own = false;
    r.name = eq > 0 ? tok.slice(0, eq) : `#${i}`;
    r.value = eq > 0 ? tok.slice(eq + 1) : tok;
  }
  return r;
}

/** A plain lower-case word before a bare slot (`via`, `cipher`), 2-16 letters. */
const PLAIN_WORD = /^[a-z]{2,16}$/;

/** The pooled name of bare slot i of tokens tt: `word <*>` after a plain word, else null. */
function bareKey(tt: readonly string[], i: number): string | null {
  return i > 0 && PLAIN_WORD.test(tt[i - 1]) ? `${tt[i - 1]} ${WILD}` : null;
}

/**
 * A slot whose values are ids: not low-cardinality (more than lowCard values seen, where
 * fields.ts judges an unseen value only in a settled slot, whose finding stands on its own), or high-cardinality (its values no longer kept),
 * or one whose sightings mostly each brought a new value (SLOT_NEW_PARAMS: a path or a name that
 * differs from line to line, before it has shown lowCard values).
 */
function idLike(f: FieldStats, young: boolean): boolean {
  if (f.v === null || f.k > FIELD_PARAMS.lowCard) return true;
  const P = SLOT_NEW_PARAMS;
  return f.n >= (young ? 1 : P.minSightings) && seenOnce(f) >= P.share * f.n;
}

/** A slot whose values have mostly been long (SLOT_LONG_PARAMS; counted as LONG_VALUE while its values are kept). */
function longSlot(f: FieldStats): boolean {
  if (f.v === null || f.n < SLOT_LONG_PARAMS.minSightings) return false;
  flushField(f);
  const c = f.v[LONG_VALUE];
  return typeof c === 'number' && c >= SLOT_LONG_PARAMS.share * f.n;
}

/**
 * Whether a line of template `t` (known, unchanged by the line) owes its new text only to
 * id-like slots (see the top of this file). `stats`: the stream's statistics of the template's
 * slots before this line's values are added. `known`: a line with no new value at all (every
 * slot's value seen in it, or a number) is explained too: made only of parts the stream has
 * shown, it is new to the deflate dictionary only because the dictionary forgot it (text.ts asks
 * this of lines without a severity word). `young`: the template is young and the line has no
 * severity word (SLOT_NEW_PARAMS.young).
 */
export function explainedBySlots(t: Template, tokens: readonly string[], stats: Record<string, FieldStats> | undefined, known = false, young = false): boolean {
  const L = slotLayout(t);
  let benign = false;
  for (let k = 0; k < L.pos.length; k++) {
    const i = L.pos[k];
    if (i >= tokens.length) break;
    const { value, name } = readSlot(L, k, tokens[i], i);
    // A long value: benign in a slot of long values (a path or key with ids), else a blob (an
    // encoded payload) that cannot be vouched for.
    if (value.length > MAX_SLOT_VALUE) {
      const f = stats?.[name];
      if (f === undefined || !longSlot(f)) return false;
      benign = true;
      continue;
    }
    if (skeleton(normalise(value), MAX_SLOT_VALUE) === '') continue;
    const f = stats?.[name];
    if (f === undefined) return false;
    // Seen (while values are kept): not new. New: benign in an id-like slot, else news.
    if (f.v !== null && f.v[value] !== undefined) continue;
    if (!idLike(f, young)) return false;
    benign = true;
  }
  return benign || known;
}

/**
 * Charges each template's slot statistics (LogsState.s) to it in the miner, as logs.ts charged
 * them while the stream was scored (budget.ts), when a state is loaded; the statistics of a
 * template the miner no longer holds are dropped.
 */
export function chargeSlotStats(miner: TemplateMiner, s: Record<string, Record<string, FieldStats>>, evicted: (id: number) => void): void {
  miner.chargeRecords(
    s,
    (stats) => {
      let b = 0;
      for (const name of Object.keys(stats)) b += fieldBytes(stats[name], name);
      return b;
    },
    evicted,
  );
}
