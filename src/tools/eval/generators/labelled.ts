// The end of a generator: its rows merged by event time (a stable sort: ties keep their order) and
// the labels read off the merged order ({"anomalous": [indices], "kinds": {"<index>": kind}}).
import type { GeneratedEvent, GeneratedSet } from './index.js';
import { timeApart, type Random, type RunClock } from './random.js';

/** A generated line before the merge: its event time, its event and its label (none: normal). */
export interface LabelledRow { ts: number; ev: GeneratedEvent; kind?: string }

/** A log line of `stream` at `ts` (its metadata and label if any). */
export const logRow = (ts: number, stream: string, data: string, metadata?: Record<string, string | number>, kind?: string): LabelledRow =>
  ({ ts, ev: { timestamp: new Date(ts).toISOString(), stream, stream_type: 'logs', data, ...(metadata === undefined ? {} : { metadata }) }, ...(kind === undefined ? {} : { kind }) });

/** A run's world, which the queue, iot, pay, ml and voip generators' worlds extend: its seeded source and clock, its span, its traffic and its row maker. */
export interface RunWorld extends RunClock {
  r: Random;
  seed: number;
  t0: number;
  end: number;
  /** Traffic at a time, ~1 on average. */
  rate: (t: number) => number;
  row: typeof logRow;
}

export function labelledSet(rows: LabelledRow[]): GeneratedSet {
  rows.sort((a, b) => a.ts - b.ts);
  const anomalous: number[] = [];
  const kinds: Record<string, string> = {};
  rows.forEach((row, i) => {
    if (row.kind === undefined) return;
    anomalous.push(i);
    kinds[String(i)] = row.kind;
  });
  return { events: rows.map((x) => x.ev), labels: { anomalous, kinds } };
}

/**
 * A silenced stretch of `stream` (the queue, iot, pay and ml generators): its rows in [start, start + gap)
 * dropped from `rows` in place, and its first row after the gap labelled `silence`.
 */
export function silenceStretch(rows: LabelledRow[], stream: string, start: number, gap: number): void {
  const keep = rows.filter((x) => x.ev.stream !== stream || x.ts < start || x.ts >= start + gap);
  rows.length = 0;
  rows.push(...keep);
  let first: LabelledRow | undefined;
  for (const x of rows) if (x.ev.stream === stream && x.ts >= start + gap && (first === undefined || x.ts < first.ts)) first = x;
  if (first !== undefined) first.kind = 'silence';
}

/** A generator's world as plantIncidents needs it: its seeded source, seed and run. */
export interface IncidentWorld { r: Random; seed: number; t0: number; end: number }

/** A style's line makers for each shared kind (queue, iot, pay and ml): its own formats, one recipe. */
export interface IncidentRecipe<C extends IncidentWorld> {
  warmupMs: number;
  /** One rare error's lines at ts (labelled `kind`, rare_error by default). */
  rareOne: (c: C, ts: number, kind?: string) => LabelledRow[];
  newErrors: readonly ((c: C, ts: number) => LabelledRow[])[];
  /** Variant `which` (of `variants`) of an unusual value, an unseen category, a retry storm over `span` ms. */
  unusualValue: { plant: (c: C, rows: LabelledRow[], ts: number, which: number) => void; variants: number };
  unseenCategory: { plant: (c: C, rows: LabelledRow[], ts: number, which: number) => void; variants: number };
  retryStorm: (c: C, rows: LabelledRow[], ts: number, which: number, span: number) => void;
  /** The style's own kinds, planted with `at` (random.ts timeApart) after the shared ones; may be absent. */
  own?: (c: C, rows: LabelledRow[], at: (span?: number, from?: number, to?: number) => number) => void;
  /** The stream silenced on even seeds, and on odd ones. */
  silenced: readonly [string, string];
}

/**
 * Every shared kind at random times after the warm-up, 5 s apart from each other and from the
 * silence: a rare error's burst and its 6 lone returns after it, 3 more lone ones, 4 new errors, 5
 * unusual values, 3 unseen categories, 2 retry storms, the style's own kinds, a silenced stretch
 * of 12-25 minutes. The draws are in this order (a seed's set depends on it).
 */
export function plantIncidents<C extends IncidentWorld>(c: C, rows: LabelledRow[], k: IncidentRecipe<C>): void {
  const { r } = c;
  const lo = c.t0 + k.warmupMs, hi = c.end - 60_000;
  const gap = r.int(12, 25) * 60_000;
  const silentAt = lo + 600_000 + Math.floor(r.next() * (hi - lo - 600_000 - gap - 2_400_000));
  const at = timeApart(r, lo, hi, [[silentAt, silentAt + gap + 60_000]]);
  const burstSpan = r.int(50, 120) * 1000;
  const burstAt = at(burstSpan, lo, lo + Math.floor((hi - lo) / 2));
  const burstN = r.int(70, 110);
  for (let j = 0; j < burstN; j++) rows.push(...k.rareOne(c, burstAt + Math.round((j * burstSpan) / burstN) + r.int(0, 400), 'rare_burst'));
  for (let i = 0; i < 6; i++) rows.push(...k.rareOne(c, at(0, burstAt + burstSpan + 60_000)));
  for (let i = 0; i < 3; i++) rows.push(...k.rareOne(c, at()));
  for (let i = 0; i < 4; i++) rows.push(...k.newErrors[(c.seed * 3 + i) % k.newErrors.length](c, at()));
  for (let i = 0; i < 5; i++) k.unusualValue.plant(c, rows, at(), (c.seed + i) % k.unusualValue.variants);
  for (let i = 0; i < 3; i++) k.unseenCategory.plant(c, rows, at(), (c.seed + i) % k.unseenCategory.variants);
  for (let i = 0; i < 2; i++) { const span = r.int(3000, 8000); k.retryStorm(c, rows, at(span), (c.seed + i) % 3, span); }
  k.own?.(c, rows, at);
  silenceStretch(rows, k.silenced[c.seed % 2], silentAt, gap);
}
