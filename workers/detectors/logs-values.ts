// The value findings of a log line (logs.ts): its template's slots and the event's metadata
// fields, each value judged by fields.ts.
//
//   slot values: per template and slot, an unseen (or once-seen, long ago) value of a
//   low-cardinality slot (status, currency, region), a numeric outlier (latency, size) against
//   the same route's values (the template's other categorical slots together, or each alone, the
//   tightest history); high-cardinality slots (ids, users, hashes) are recognised and ignored;
//   keyed slots (status=) also per key name over the stream's templates
//   metadata: the event's own fields, per stream and field name, judged the same way
//
// The bytes a template's slot statistics grow by are charged to the template (budget.ts), so the
// miner may evict the least recently seen templates with their statistics.
import type { TemplateMiner, Template } from './templates.js';
import { templateText, WILD } from './templates.js';
import { CALENDAR_VALUE, calendarValue, LONG_VALUE, MAX_SLOT_VALUE, PROCESS_VALUE, processValue, readSlot, slotLayout, type SlotLayout } from './slots.js';
import { freshField, grownBytes, isContext, observeHost, observeValue, seedSightings, wordValue, type FieldStats, type LineContexts, type ValueFinding } from './fields.js';
import { FIELD_BYTES, jsonBytes, TEXT_BUDGET } from './budget.js';
import { FieldTable } from './field-table.js';
import { clip, type LogsState, type Part } from './logs-state.js';
import { numberParts, PartNames } from './field-parts.js';
import { countOf } from './field-contexts.js';
import { countRoute, isPath, ROUTE_MARK, routeShape, routeStatus } from './field-routes.js';
import { fixed } from './round.js';
import { HOST_SUFFIX, hostOf } from './field-hosts.js';
import { slotView, type ShareViews } from './logs-share.js';
import { FIELD_PARAMS, grow } from './field-stats.js';

export const SLOT_DETECTOR = 'template_slot';
/** A value with a letter and no digit nor '<' (not a number, an address, an id, nor a slot's stand-in value such as <long>). */
const WORD_ONLY = /^[^\d<]*[A-Za-z][^\d]*$/;
export const META_DETECTOR = 'metadata_field';

/** Metadata fields kept per stream, and the longest value judged. */
const MAX_META_FIELDS = 32;
const MAX_META_VALUE = MAX_SLOT_VALUE;
/** Key names pooled per stream. */
const MAX_KEYS = 64;

/**
 * A value the line's own slot has shown at least ownSeen times before is not reported as rare by
 * the key pooled over the stream's templates: the pool judges a value against lines of other
 * kinds (a 201 among a cluster's 200s), while the slot's own history, where the value is a habit
 * (every pod a deploy creates answers 201), judges it on its own finding.
 */
export const POOL_PARAMS = Object.freeze({ ownSeen: 3 });

export class ValueScorer {
  readonly #s: LogsState;
  readonly #miner: TemplateMiner;
  readonly #evicted: (id: number) => void;
  /** Metadata fields and pooled keys, bounded in bytes (field-table.ts). */
  readonly #md: FieldTable;
  readonly #keys: FieldTable;

  constructor(s: LogsState, miner: TemplateMiner, evicted: (id: number) => void) {
    this.#s = s;
    this.#miner = miner;
    this.#evicted = evicted;
    this.#md = new FieldTable(s.md, () => s.md, MAX_META_FIELDS, TEXT_BUDGET.metadata);
    this.#keys = new FieldTable(s.k, () => (s.k ??= {}), MAX_KEYS, TEXT_BUDGET.keys);
  }

  /**
   * Template t was widened by the current line (`before`: its tokens until then): a position that
   * held a constant, the same word in every line so far, is a slot now. The slot starts with that
   * word as a value seen, so the lines before the change count as having shown it (the table of a
   * stream's first autovacuum report is not a new value when it comes back an hour later): every
   * one of them, as a word that held for hundreds of lines is a habit the new word breaks (a
   * `restartpoint complete` for hours, then a `checkpoint complete`), judged as any low-cardinality
   * slot's unseen value (db 201-210: unseen_category 24 → 28 of 40; a number stays seen once: a
   * count that held is no category).
   */
  widened(t: Template, before: readonly string[]): void {
    const L = slotLayout(t);
    const stats = (L.stats ??= this.#s.s[t.id] ??= {});
    let grew = 0;
    for (let k = 0; k < L.pos.length; k++) {
      const i = L.pos[k];
      const was = before[i];
      const name = L.names[k];
      if (was === undefined || was === WILD || was.endsWith(`=${WILD}`) || stats[name] !== undefined) continue;
      const f = (stats[name] = freshField());
      grew += FIELD_BYTES + jsonBytes(name);
      const raw = L.cut[k] === 0 ? was : was.slice(L.cut[k]);
      const g0 = grownBytes();
      const value = processValue(before, i) ? PROCESS_VALUE : calendarValue(raw, before, i) ? CALENDAR_VALUE : raw;
      observeValue(f, value, '');
      if (value === raw && wordValue(raw)) seedSightings(f, raw, t.count - 1);
      grew += grownBytes() - g0;
    }
    if (grew !== 0) this.#miner.grow(t, grew, this.#evicted);
  }

  /** The current line reported a value never seen in a slot that is a word (a letter, no digit: logs-sequel.ts). */
  unseenWord = false;

  /** Values of the current line's slots, and its varying context slots as `name=value` (reused from line to line). */
  readonly #values: string[] = [];
  /** The current line's slot names: the template's, or a token's own key (slots.ts readSlot, #own false). */
  readonly #names: string[] = [];
  readonly #own: boolean[] = [];
  /** The host of each slot's value when it is URL-shaped, else '' (field-hosts.ts). */
  readonly #hosts: string[] = [];
  readonly #views: string[] = [];
  /** The numbers of a slot's value that holds several (field-parts.ts), and their fields' names. */
  readonly #parts: string[] = [];
  readonly #partNames = new PartNames();
  /** The varying context slots' fields, values and slot indices beside #views: where a rare value is also judged (field-contexts.ts). */
  readonly #cx: { pieces: string[]; fields: FieldStats[]; values: string[]; owner: number[] } = { pieces: this.#views, fields: [], values: [], owner: [] };

  /** The current line's categorical values, per template slot and per pooled key, after slots() (logs-share.ts). */
  readonly shares: ShareViews = { n: 0, ids: [], values: [], fields: [], names: [], what: (k) => this.#shareWhat(k) };

  /** Slot `name` (field f, its value on the line) to `shares` when categorical. */
  #share(id: number, value: string, f: FieldStats, name: string): void {
    if (f.v === null || f.k > FIELD_PARAMS.lowCard) return;
    const v = this.shares;
    v.ids[v.n] = id;
    v.values[v.n] = value;
    v.fields[v.n] = f;
    v.names[v.n++] = name;
  }

  #shareTemplate: Template | undefined;

  /** View k's words in a finding (logs-share.ts). */
  readonly #shareWhat = (k: number): string => `slot "${this.shares.names[k]}" of template "${this.#shareTemplate === undefined ? '' : clip(templateText(this.#shareTemplate))}"`;

  /** A line of template t begins: its findings' flags, shares and route reset. */
  #begin(t: Template): void {
    this.unseenWord = false;
    this.shares.n = 0;
    this.#shareTemplate = t;
    this.#routePiece = '';
    this.#routeGrew = this.#hostGrew = 0;
  }

  /** The line's slot values (its template `t`, its tokens): findings at least `threshold` to out; the highest score. */
  slots(t: Template, tokens: readonly string[], threshold: number, out: Part[]): number {
    this.#begin(t);
    const L = slotLayout(t);
    const n = L.pos.length;
    let stats = L.stats;
    let top = 0;
    let ctx = '';
    const values = this.#values;
    const views = this.#views;
    let nv = 0;
    let slots = 0;
    let route = '';
    for (let k = 0; k < n; k++) {
      const i = L.pos[k];
      if (i >= tokens.length) break;
      const rs = readSlot(L, k, tokens[i], i);
      const name = rs.name;
      const raw = rs.value;
      // A value longer than a slot keeps counts as one value (slots.ts: LONG_VALUE), and so do the date (CALENDAR_VALUE) and a syslog PROCID (PROCESS_VALUE).
      const value = raw.length > MAX_SLOT_VALUE ? LONG_VALUE : processValue(tokens, i) ? PROCESS_VALUE : calendarValue(raw, tokens, i) ? CALENDAR_VALUE : raw;
      this.#names[slots] = name;
      this.#hosts[slots] = hostOf(raw);
      this.#own[slots] = rs.own;
      values[slots++] = value;
      stats ??= L.stats = this.#s.s[t.id] ??= {};
      let f = rs.own ? L.fields[k] : undefined;
      if (f === undefined) {
        f = stats[name];
        if (f !== undefined && rs.own) L.fields[k] = f;
      }
      if (f !== undefined && isContext(f)) {
        const piece = `${name}=${value}`;
        ctx += ctx === '' ? piece : ` ${piece}`;
        if (f.k > 1) nv = this.#piece(nv, piece, f, value, k);
      } else if (route === '' && f !== undefined && f.v === null && isPath(raw)) route = this.#route(f, name, raw);
    }
    if (stats === undefined) return 0;
    // Bytes the template's statistics grow by on this line (budget.ts): new fields, values, contexts, routes.
    let grew = this.#routeGrew;
    const cx = this.#lineContexts(nv);
    // Each varying context slot is also a history of its own (fields.ts), from two of them on; the route from one.
    const byView = this.#routePiece !== '' ? this.#routeViews(nv, this.#routePiece) : nv >= 2 ? views : undefined;
    for (let k = 0; k < slots; k++) {
      const name = this.#names[k];
      const own = this.#own[k];
      const value = values[k];
      const had = (own ? L.fields[k] : undefined) ?? stats[name];
      if (had === undefined) grew += FIELD_BYTES + jsonBytes(name);
      const f = had ?? (stats[name] = freshField());
      if (own) L.fields[k] = f;
      const g0 = grownBytes();
      // An HTTP status of a class its route has never answered with (field-routes.ts), judged before the value is counted.
      const rs = route !== '' && own ? routeStatus(f, value, route) : null;
      // A context slot is categorical (its own numbers are not judged), so the context can include it.
      let r = observeValue(f, value, ctx, true, false, byView, cx, k);
      if (rs !== null && (r === null || rs.score > r.score)) r = rs;
      grew += grownBytes() - g0;
      // The same key over the stream's templates: the larger of the two findings is reported.
      const q0 = own ? this.#pooled(L, k, name, value) : this.#pooledAs(name, value);
      this.#share(slotView(t.id, k), value, f, name);
      let pooled = q0 !== null && (r === null || q0.score > r.score) && seenBefore(f, value) < POOL_PARAMS.ownSeen;
      if (pooled) r = q0;
      // Several numbers in one token (field-parts.ts): each judged as a number of its own.
      const np = numberParts(value, this.#parts);
      const g0p = grownBytes();
      const q = np === 0 ? null : this.#numberParts(stats, name, np, ctx, byView);
      grew += grownBytes() - g0p;
      let part = q !== null && (r === null || q.score > r.score) ? this.#part : -1;
      if (part >= 0) [r, pooled] = [q, false];
      // A URL-shaped value's host, a category of its own beside the slot (field-hosts.ts).
      const h = this.#hosts[k] === '' ? null : this.#host(stats, name, this.#hosts[k], f);
      if (h !== null && (r === null || h.score > r.score)) [r, pooled, part] = [h, false, -1];
      if (r !== null) top = Math.max(top, this.#found(t, own ? L.pool[k] : name, name, value, pooled, part, np, r, threshold, out));
    }
    grew += this.#hostGrew;
    if (grew !== 0) this.#miner.grow(t, grew, this.#evicted);
    return top;
  }

  /** Slot `name`'s finding r (its value `value`): reported when at the threshold (#report); its score. */
  #found(t: Template, pool: string | null, name: string, value: string, pooled: boolean, part: number, np: number, r: ValueFinding, threshold: number, out: Part[]): number {
    const score = valueScore(r);
    // The words only for a finding that is reported (most value findings score under the threshold).
    if (score < threshold) return score;
    if (r.kind === 'unseen_value' && WORD_ONLY.test(value)) this.unseenWord = true;
    this.#report(t, pool, name, pooled, part, np, r, score, out);
    return score;
  }

  /** A slot's finding r (its score) to out: slot `name`, pooled under `pool`, or number `part` of its np. */
  #report(t: Template, pool: string | null, name: string, pooled: boolean, part: number, np: number, r: ValueFinding, score: number, out: Part[]): void {
    const slot = `${name.startsWith('#') ? `at word ${name.slice(1)}` : `"${name}"`}`;
    const where = pooled ? `${name.startsWith('#') ? 'Slot' : 'Key'} "${pool}" over the stream's templates (here in "${clip(templateText(t))}")` : part >= 0 ? `Number ${part + 1} of ${np} in slot ${slot} of template "${clip(templateText(t))}"` : `Slot ${slot} of template "${clip(templateText(t))}"`;
    report(r, score, SLOT_DETECTOR, where, out, { template: t.id, slot: part >= 0 ? this.#partNames.get(name, part) : name, ...(pooled ? { pooled: 1 } : {}) });
  }

  /** The line's route piece (`name~route`, or '' when its route is no context) and the bytes its route record grew by. */
  #routePiece = '';
  #routeGrew = 0;

  /** Path slot `name` (field f, high-cardinality) with value `raw`: its route, counted (field-routes.ts); sets #routePiece and #routeGrew. */
  #route(f: FieldStats, name: string, raw: string): string {
    const route = routeShape(raw);
    const g0 = grownBytes();
    if (countRoute(f, route).context) this.#routePiece = `${name}${ROUTE_MARK}${route}`;
    this.#routeGrew = grownBytes() - g0;
    return route;
  }

  /**
   * Slot k's value judged under its pooled name (slots.ts SlotLayout.pool), or null. A key left
   * out (the pool full) is asked for again: the pool's bytes may have fallen since. A bare slot's
   * pool (`via <*>`) holds only its word values (fields.ts wordValue): the slot after `to` also
   * holds addresses and ports, which a pool of them took for a category (edge seeds 207, 209).
   */
  #pooled(L: SlotLayout, k: number, name: string, value: string): ValueFinding | null {
    const pn = L.pool[k];
    if (pn === null || (name.startsWith('#') && !wordValue(value))) return null;
    const g = L.pooled[k] ?? (L.pooled[k] = this.#keys.field(pn));
    return g === undefined ? null : this.#keys.observe(g, pn, value, '', false);
  }

  /** A token of another key than its slot's (slots.ts readSlot) judged under its own key over the stream's templates, or null. */
  #pooledAs(name: string, value: string): ValueFinding | null {
    if (name.startsWith('#')) return null;
    const g = this.#keys.field(name);
    return g === undefined ? null : this.#keys.observe(g, name, value, '', false);
  }

  /** Bytes the line's fields of hosts grew by (#host). */
  #hostGrew = 0;

  /**
   * Host `host` of slot `name`'s value (field f) counted in the slot's field of hosts (`name@host`,
   * made in `stats` as needed, its bytes added to #hostGrew); its finding, or null when the slot
   * itself keeps and judges its values: low-cardinality, none too long to keep (3 SIP peers'
   * `addr:5060`, a new one judged at the slot's own bar; an image slot's references with digests
   * are too long, LONG_VALUE, and only its hosts tell them apart).
   */
  #host(stats: Record<string, FieldStats>, name: string, host: string, f: FieldStats): ValueFinding | null {
    const g0 = grownBytes();
    const sub = `${name}${HOST_SUFFIX}`;
    let g = stats[sub];
    if (g === undefined) {
      g = stats[sub] = freshField();
      grow(FIELD_BYTES + jsonBytes(sub));
    }
    const h = observeHost(g, host);
    this.#hostGrew += grownBytes() - g0;
    return f.v === null || f.k > FIELD_PARAMS.lowCard || countOf(f, LONG_VALUE) > 0 ? h : null;
  }

  /** The part (index) of the finding #numberParts returned last. */
  #part = -1;

  /**
   * The np numbers in #parts of slot `name`'s value, each a field of its own (`name/j`, made in
   * `stats` as needed, its bytes counted in grownBytes()): the highest numeric finding (its part in
   * #part), or null. A part's categorical findings are not reported (field-parts.ts).
   */
  #numberParts(stats: Record<string, FieldStats>, name: string, np: number, ctx: string, byView: readonly string[] | undefined): ValueFinding | null {
    let best: ValueFinding | null = null;
    for (let j = 0; j < np; j++) {
      const sub = this.#partNames.get(name, j);
      let g = stats[sub];
      if (g === undefined) {
        g = stats[sub] = freshField();
        grow(FIELD_BYTES + jsonBytes(sub));
      }
      const q = observeValue(g, this.#parts[j], ctx, true, false, byView);
      if (q !== null && q.kind === 'numeric_outlier' && (best === null || q.score > best.score)) {
        best = q;
        this.#part = j;
      }
    }
    return best;
  }

  /** Piece `nv` of the line's varying contexts: `name=value` of field f, from slot (or metadata field) k; the new count. */
  #piece(nv: number, piece: string, f: FieldStats, value: string, k: number): number {
    const cx = this.#cx;
    cx.pieces[nv] = piece;
    cx.fields[nv] = f;
    cx.values[nv] = value;
    cx.owner[nv] = k;
    return nv + 1;
  }

  /** The views of a line with a route: its varying contexts when two or more (as without one), and its route piece. */
  readonly #numViews: string[] = [];

  #routeViews(nv: number, piece: string): readonly string[] {
    const a = this.#numViews;
    let n = 0;
    if (nv >= 2) for (; n < nv; n++) a[n] = this.#views[n];
    a[n++] = piece;
    if (a.length !== n) a.length = n;
    return a;
  }

  /** The line's first nv varying contexts (undefined when none). */
  #lineContexts(nv: number): LineContexts | undefined {
    const cx = this.#cx;
    // (Their lengths set only when they change: a length store is a runtime call.)
    if (cx.pieces.length !== nv) cx.pieces.length = nv;
    if (cx.fields.length !== nv) cx.fields.length = nv;
    if (cx.values.length !== nv) cx.values.length = nv;
    if (cx.owner.length !== nv) cx.owner.length = nv;
    return nv === 0 ? undefined : cx;
  }

  readonly #metaNames: string[] = [];
  readonly #metaFields: FieldStats[] = [];

  /**
   * The event's metadata fields: findings at least `threshold` to out; the highest score. Each
   * varying low-cardinality field (a route, a region) is a context of the others: a rare value is
   * also judged in it, and a number against each one's own history (fields.ts). `young`: the stream is still learning its habits
   * (TEXT_PARAMS.habitMs, habitEvents: its first hour and 1,500 lines): every metadata finding
   * but a value never seen (a value seen before, one unseen only in the line's context, a number
   * beyond its field's history) is learnt, not judged, since the jobs on a
   * schedule of up to an hour (a timer's run every 15 minutes, an hourly cron) have not shown
   * their habit yet (host 201-210: a sweeper's appname "seen only 2 times in 1,096 sightings" 20
   * minutes in); a value never seen is judged from the field's first sightings on, as before.
   */
  meta(md: Record<string, unknown>, threshold: number, out: Part[], young = false): number {
    let top = 0;
    const names = this.#metaNames;
    const fields = this.#metaFields;
    const values = this.#values;
    let n = 0;
    let nv = 0;
    for (const name of Object.keys(md)) {
      const raw = md[name];
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') continue;
      const value = String(raw);
      if (value.length > MAX_META_VALUE) continue;
      const f = this.#md.field(name);
      if (f === undefined) continue;
      if (isContext(f) && f.k > 1) nv = this.#piece(nv, `${name}=${value}`, f, value, n);
      names[n] = name;
      fields[n] = f;
      values[n++] = value;
    }
    const cx = this.#lineContexts(nv);
    for (let k = 0; k < n; k++) {
      const name = names[k];
      const value = values[k];
      const r = this.#md.observe(fields[k], name, value, '', true, true, cx?.pieces, cx, k);
      if (r === null || (young && r.kind !== 'unseen_value')) continue;
      const score = valueScore(r);
      top = Math.max(top, score);
      if (score >= threshold) report(r, score, META_DETECTOR, `Metadata field "${name}"`, out, { field: name });
    }
    return top;
  }
}

/**
 * How many times slot field f had shown `value` before the line's sighting, read after
 * observeValue counted it (only when a pooled finding asks, not on every slot of every line): a
 * value it keeps is one more than before; one it does not keep (a high-cardinality field, or one
 * that became so at this unseen value) had none, and so has a count that is no number.
 */
function seenBefore(f: FieldStats, value: string): number {
  return f.v === null ? 0 : Math.max(0, countOf(f, value) - 1);
}

/** A value finding that reached the threshold (`score`: its valueScore). */
function report(r: ValueFinding, score: number, detector: string, what: string, out: Part[], extra: Record<string, number | string>): void {
  out.push({ score, detector, explanation: `${what}: ${r.words}.`, details: { kind: r.kind, ...extra, ...r.details } });
}

/** The score a value finding is reported with, and counted at in the row's top score. */
function valueScore(r: ValueFinding): number {
  return fixed(Math.min(1, r.score), 4);
}
