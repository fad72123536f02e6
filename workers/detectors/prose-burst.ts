// The burst view of the free-text detector (prose.ts, issue 11: "rate, for bursts of ordinary
// texts"): a run of answers that are individually ordinary but alike (a model refusing everything
// in varied words: "I'm sorry, but I can't help with that request.", "I'm unable to provide that
// information.", "I'm not able to help with this.") is no finding text by text; what is unusual is
// how many of the last texts are of one kind against the share of that kind in the stream's history.
//
//   kind of a text = its normalised opening (openingKey: the first word, lower-cased, letters and
//                    apostrophes: "i'm", "sure", "the"); '' when it opens with no word
//   window         = this text and the stream's previous ones within burstMs of event time, at most
//                    burstTexts in all (event time only: a replay gives the same window)
//   count k        = texts of the window of this text's kind
//   expected λ     = the kind's share of the stream's history × the window's texts, the share from
//                    decayed counts (half-life burstHalfLife texts; the burstKeys most frequent kinds
//                    kept, the rarest out) with a prior of half a text for a kind never counted
//   S              = −log10 P(Poisson(λ) ≥ k), judged from burstMin texts of the kind in the window
//                    and once the history holds burstWarmup texts; S / uHalf.burst is the burst's
//                    share of its threshold (prose.ts: a decision like the others)
// A text reported for a burst does not enter the history (a burst does not teach its own rate).
// Bounded: burstKeys kinds of at most burstKeyChars characters and burstTexts window entries.
import { round6 } from './round.js';

export interface BurstState {
  /** Decayed count of the history's texts (all kinds). */
  t: number;
  /** Decayed count per kind, [kind, count], most frequent first. */
  c: [string, number][];
  /** The window: [event time ms, kind] of the last texts, oldest first. */
  w: [number, string][];
}

export interface BurstParams { burstTexts: number; burstMs: number; burstMin: number; burstHalfLife: number; burstKeys: number; burstKeyChars: number; burstWarmup: number }

/** What a burst finding quotes: the kind, its count among the window's texts, their span, the usual share and the expected count. */
export interface BurstJudgement { key: string; count: number; texts: number; spanMs: number; share: number; expected: number; s: number }

/** A text not judged (no kind, too few of its kind in the window, or a history still short). */
export const NO_BURST: Readonly<BurstJudgement> = Object.freeze({ key: '', count: 0, texts: 0, spanMs: 0, share: 0, expected: 0, s: 0 });

export function freshBurst(): BurstState {
  return { t: 0, c: [], w: [] };
}

export function isBurstState(o: unknown): o is BurstState {
  if (o === null || typeof o !== 'object') return false;
  const b = o as BurstState;
  return typeof b.t === 'number' && Array.isArray(b.c) && Array.isArray(b.w) &&
    b.c.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'number') &&
    b.w.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'number' && typeof e[1] === 'string');
}

const OPENING = /[\p{L}']+/u;

/** A text's kind: its first word, lower-cased (letters and apostrophes), cut to `chars`; '' when none. */
export function openingKey(text: string, chars: number): string {
  const m = OPENING.exec(text.slice(0, 256));
  return m === null ? '' : m[0].toLowerCase().slice(0, chars);
}

/** P(Poisson(λ) ≥ k), summed from k up (no cancellation for a small λ). */
export function poissonTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  let logTerm = -lambda;
  for (let i = 1; i <= k; i++) logTerm += Math.log(lambda / i);
  let term = Math.exp(logTerm);
  let sum = 0;
  for (let i = k; i < k + 200 && term > sum * 1e-17; i++) {
    sum += term;
    term *= lambda / (i + 1);
  }
  return Math.min(1, sum);
}

/** The window at `ts`: entries within burstMs before it (or stamped after it), the last burstTexts − 1 of them. */
function windowAt(b: BurstState, ts: number, P: BurstParams): [number, string][] {
  const out: [number, string][] = [];
  for (let i = b.w.length - 1; i >= 0 && out.length < P.burstTexts - 1; i--) {
    if (ts - b.w[i][0] > P.burstMs) break;
    out.push(b.w[i]);
  }
  return out;
}

/** The burst judgement of a text of kind `key` at event time `ts` (no update); null when not judged. */
export function judgeBurst(b: BurstState, key: string, ts: number, P: BurstParams): BurstJudgement | null {
  if (key === '' || !Number.isFinite(ts) || b.t < P.burstWarmup) return null;
  const win = windowAt(b, ts, P);
  let count = 1;
  let first = ts;
  for (const [t, k] of win) {
    if (k === key) count++;
    first = Math.min(first, t);
  }
  if (count < P.burstMin) return null;
  const texts = win.length + 1;
  const seen = b.c.find((e) => e[0] === key)?.[1] ?? 0;
  const share = (seen + 0.5) / (b.t + 1);
  const expected = share * texts;
  const s = -Math.log10(Math.max(1e-300, poissonTail(count, expected)));
  return { key, count, texts, spanMs: ts - first, share, expected, s };
}

/** Notes a text of kind `key` at `ts`: it joins the window, and the history unless `counted` is false (a text reported for a burst). */
export function noteBurst(b: BurstState, key: string, ts: number, counted: boolean, P: BurstParams): void {
  if (!Number.isFinite(ts)) return;
  b.w.push([ts, key]);
  while (b.w.length > P.burstTexts) b.w.shift();
  if (!counted || key === '') return;
  const d = 0.5 ** (1 / P.burstHalfLife);
  b.t = round6(b.t * d + 1);
  let found = false;
  for (const e of b.c) {
    e[1] = round6(e[1] * d + (e[0] === key ? 1 : 0));
    if (e[0] === key) found = true;
  }
  if (!found) b.c.push([key, 1]);
  b.c.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  while (b.c.length > P.burstKeys || (b.c.length > 0 && b.c[b.c.length - 1][1] < 1e-3)) b.c.pop();
}

/** Event time as a finding writes it ("74 s", "12 min"). */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
