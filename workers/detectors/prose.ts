// Free-text detector (`llm` streams: prompts and completions; any prose-like text): compression
// surprise against the stream's recent texts, in both tails, with shape and window statistics.
//
//   text ─► lower-cased, ids/numbers normalised (normalise.ts) ─► x
//        ├─ unexplained = C(x | D) / C(x)     D: the stream's recent normal texts as the deflate
//        │                                    dictionary (bounded bytes)
//        ├─ novelty     = words of x seen neither in D nor in the stream's long-run vocabulary
//        │                (prose-lexicon.ts) / (words + 2)
//        ├─ repetition  = C(x) / C_huffman(x)  LZ matches against Huffman-only coding. Low: the
//        │                                    text compresses far too well (a token flood)
//        ├─ length      = log2(bytes of the raw text)                                    (high)
//        ├─ characters  = L1 distance of the raw text's class shares (letters, digits, spaces,
//        │                punctuation, code symbols, other scripts) from the stream's usual mix (high)
//        ├─ token       = log2(longest run without a space): an encoded blob             (high)
//        │                (not when the token is one the stream used, or compresses to under
//        │                tokenShare given its texts and tokens: a link with a fresh id)
//        └─ window      = mean `unexplained` of the last `window` texts: a change of topic or
//                         language (the window's compression distance from the reference D)
//   each statistic ─► tail distance u against the stream's own null (prose-features.ts):
//        (x − q50) / (q99 − q50), or the lower tail for repetition
//   vocabulary = (u(unexplained) + u(novelty)) × gain: new vocabulary (another language, code, an
//        injection, off-topic text); gain ≥ 1 for texts longer than typical (a few new sentences
//        are diluted in a long text); an instruction-override phrase lowers its threshold (a prior)
//   paragraph  = the same sum for a text's last paragraph after a blank line, its cost given D and
//        the text before it, in the null of segments of its own size (prose-segment.ts): an
//        instruction appended to an ordinary prompt, in words the stream mostly knows
//   score = r / (r + 1), r = the largest u / uHalf[statistic] (uHalf: one set for every stream);
//   a drift finding when u(window) ≥ uHalf.window and the text's own u(unexplained) ≥ driftSelf
//   and its unexplained is ≥ driftShare of the window's distance from typical (not a normal text
//   after the run, while the window mean still lags)
//   normal texts join D and the nulls; flagged ones do not (hygiene), unless most recent texts
//   were flagged: then the stream has changed and texts are accepted again (the explanation says so);
//   a text flagged for its vocabulary (or its last paragraph, kept alone) is remembered; one that texts flagged in earlier episodes explain (a rare
//   normal kind that keeps coming back; or lone earlier texts in another language: prose-recur.ts) is not reported, joins;
//   a rare kind leaving D is kept, a question said twice is no flood, a few words are judged by size (prose-rare.ts);
//   when a drift is reported, the texts that opened it, accepted before the window rose, leave D (prose-purge.ts);
//   a text the stream accepted word for word (and flagged none soon after) is neither new vocabulary nor drift (prose-seen.ts);
//   a near miss joins D after holdEvents texts, and never if a drift is reported meanwhile (prose-hold.ts).
//   a text over its vocabulary threshold written throughout in the second alphabet of D's texts ("¿", "á", "é": a language a
//   few percent of the stream's users write) is judged at alphabetRelief × the threshold (prose-alphabet.ts).
// Event order only (never the wall clock); every number that influences a score is in the
// serialised state and updated per event, so findings do not depend on the batch split.
import { constants } from 'node:zlib';
import { deflatedBits } from './deflate.js';
import type { Finding, ScoreInput } from '../types.js';
import { normalise } from './normalise.js';
import { encodeState } from './state.js';
import { jsonBytes } from './budget.js';
import { Lexicon } from './prose-lexicon.js';
import { OVERRIDE, PROSE_PARAMS, type Decision, type ProseParams } from './prose-params.js';
import { proseFinding } from './prose-explain.js';
import { endingClass, endingShare, freshEndings, noteEnding } from './prose-ending.js';
import {
  freshSegments, lastParagraph, measureSegment, pushSegment, SEGMENT_MIN_BYTES, segmentU, type SegmentState,
} from './prose-segment.js';
import { freshRecur, loneSupport, noteRecur, recurSupport, type RecurParams } from './prose-recur.js';
import { calmRare, RareKinds } from './prose-rare.js';
import { noteRun, takeRun, type RunMemory } from './prose-purge.js';
import { fnv1a } from './fnv.js';
import { SeenTexts } from './prose-seen.js';
import { misspelt } from './prose-typo.js';
import { knownAlphabet, secondAlphabet } from './prose-alphabet.js';
import { hold, release } from './prose-hold.js';
import { freshBurst, judgeBurst, NO_BURST, noteBurst, openingKey, type BurstJudgement } from './prose-burst.js';
import { classDistance, classShares, CLASS_NAMES, CLASSES, longestToken, recurringToken, lower, pushNull, refreshNull, tokenShare, upper } from './prose-features.js';

export { PROSE_DETECTOR } from './prose-explain.js';

export { OVERRIDE, PROSE_PARAMS, type ProseParams } from './prose-params.js';
export { decodeProse, freshProse, PROSE_STATE_VERSION, STATS, type ProseState, type ProseValues, type Stat } from './prose-state.js';
import { canonicalProse, decodeProse, FLOOR, noteFlag, pushWindow, STATS, type ProseState, type ProseValues, type Stat } from './prose-state.js';
/** What decides a finding: the vocabulary distance (unexplained + novelty tail distances) and the shape statistics. */
const DECIDE = ['vocabulary', 'paragraph', 'repetition', 'length', 'characters', 'token', 'ending', 'burst'] as const satisfies readonly Decision[];
export type { Decision } from './prose-params.js';
const WORD = /\p{L}{3,}/gu;
const CODE = CLASS_NAMES.indexOf('code symbols');

/** Each statistic's tail share against its null: upper tails, and the lower one of repetition (a text that compresses too well). */
function tailShares(nl: ProseState['nulls'], v: ProseValues): Record<Stat, number> {
  return {
    unexplained: upper(nl.unexplained, v.unexplained, FLOOR.unexplained),
    novelty: upper(nl.novelty, v.novelty, FLOOR.novelty),
    repetition: lower(nl.repetition, v.repetition, FLOOR.repetition),
    length: upper(nl.length, v.length, FLOOR.length),
    characters: upper(nl.characters, v.characters, FLOOR.characters),
    token: upper(nl.token, v.token, FLOOR.token),
    window: upper(nl.window, v.window, FLOOR.window),
  };
}

export class ProseScorer {
  readonly s: ProseState;
  readonly P: Readonly<ProseParams>;
  readonly #seen = new Set<string>();
  /** Words (3+ letters) of the dictionary's texts and how many texts hold each. */
  readonly #vocab = new Map<string, number>();
  /** The dictionary's bytes: UTF-8 with newlines (its deflate dictionary), and JSON with commas (the state; budget.ts). */
  #dictBytes = 0;
  #dictJson = 0;
  #dict: Buffer | null = null;
  readonly #lex: Lexicon;
  #lexDirty = false;
  readonly #shares = new Float64Array(CLASSES);
  readonly #sg: SegmentState;
  readonly #recur: RecurParams;
  readonly #rk: RareKinds | null = null; // null while the constructor replays the saved dictionary: its evictions offer nothing
  readonly #sn: SeenTexts | null; // texts accepted while the stream was ordinary, verbatim (prose-seen.ts)
  #alpha: ReadonlyMap<string, number> = new Map();
  #alphaOf: Buffer | null = null;
  #segBin = -1; // the size bin the last text's paragraph was judged in (-1: none), which a finding quotes
  /** The last fed text's score (0 during warm-up) and its statistics. */
  rowScore = 0;
  last: ProseValues | null = null;
  /** The last fed text's tail distances per statistic (evaluation and tests read them). */
  lastU: Readonly<Record<string, number>> = {};
  /** The instruction-override phrase of the last fed text ('' when none). */
  override = '';

  constructor(s: ProseState, params: Readonly<ProseParams> = PROSE_PARAMS) {
    this.s = s;
    this.P = params;
    const dict = s.dict;
    s.dict = [];
    // Taken in as remembered (a state saved before the JSON bound is brought under it).
    for (const t of dict) this.#remember(t);
    // The keys an older state lacks are added here, in this order, whatever the batch split.
    s.tk ??= [];
    this.#sg = s.sg ??= freshSegments();
    this.#rk = params.rareBytes > 0 ? new RareKinds((s.rk ??= []), (x, d) => this.#words(x, d)) : null;
    this.#sn = params.seenTexts > 0 ? new SeenTexts(params.seenTexts, params.seenHold, s.sn) : null;
    this.#recur = { size: params.recurSize, maxBytes: params.recurBytes, text: params.recurText, perEpisode: params.recurPerEpisode, gap: params.recurGap, episodes: params.recurEpisodes, loneSize: params.recurLoneSize };
    this.#lex = new Lexicon(params.lexiconWords, s.lx);
    if (s.lx === undefined) {
      for (const t of s.dict) this.#learn(t);
      this.sync();
    }
  }

  /** The words of an accepted text join the long-run vocabulary. */
  #learn(x: string): void {
    for (const w of new Set(x.match(WORD))) this.#lex.add(w);
    this.#lexDirty = true;
  }

  /** Writes the long-run vocabulary into the state (before it is saved). */
  sync(): void {
    if (this.#lexDirty) this.s.lx = this.#lex.save();
    this.#lexDirty = false;
    const sn = this.#sn?.save();
    if (sn !== undefined) this.s.sn = sn;
  }

  #remember(x: string): string {
    const s = this.s;
    if (this.#seen.has(x)) {
      s.dict.splice(s.dict.indexOf(x), 1);
    } else {
      this.#seen.add(x);
      this.#words(x, 1);
      this.#dictBytes += Buffer.byteLength(x) + 1;
      this.#dictJson += jsonBytes(x) + 1;
    }
    s.dict.push(x);
    const gone: string[] = [];
    while ((this.#dictBytes > this.P.dictBytes || this.#dictJson > this.P.dictJsonBytes) && s.dict.length > 1) {
      const old = s.dict.shift() as string;
      this.#seen.delete(old);
      this.#words(old, -1);
      this.#dictBytes -= Buffer.byteLength(old) + 1;
      this.#dictJson -= jsonBytes(old) + 1;
      gone.push(old);
    }
    this.#dict = null;
    for (const old of gone) this.#rare(old);
    return x;
  }

  /** A drift is reported: the texts of the run memory accepted in the window before it leave the dictionary (prose-purge.ts). */
  #purge(pw: RunMemory): void {
    if (this.s.ph !== undefined) this.s.ph = []; // the near misses held (prose-hold.ts) never join
    const run = takeRun(pw, this.s.n, this.P.window);
    if (run.size === 0) return;
    this.s.dict = this.s.dict.filter((t) => {
      if (!run.has(fnv1a(t))) return true;
      this.#seen.delete(t);
      this.#words(t, -1);
      this.#dictBytes -= Buffer.byteLength(t) + 1;
      this.#dictJson -= jsonBytes(t) + 1;
      return false;
    });
    this.#dict = null;
  }

  #words(x: string, d: number): void {
    for (const w of new Set(x.match(WORD))) {
      const c = (this.#vocab.get(w) ?? 0) + d;
      if (c <= 0) this.#vocab.delete(w);
      else this.#vocab.set(w, c);
    }
  }

  /** Words of x never seen in the dictionary's texts nor in the stream's long-run vocabulary. */
  novelWords(x: string): { novel: string[]; words: number } {
    const all = x.match(WORD) ?? [];
    return { novel: all.filter((w) => !this.#vocab.has(w) && !this.#lex.has(w)), words: all.length };
  }

  #dictionary(): Buffer {
    const rk = this.s.rk ?? [];
    if (this.#dict === null) this.#dict = Buffer.from((rk.length > 0 ? rk.join('\n') + '\n' : '') + this.s.dict.join('\n') + '\n');
    return this.#dict;
  }

  /** A text leaving the dictionary that the rest of it explains poorly joins the rare-kind memory (prose-rare.ts). */
  #rare(x: string): void {
    if (this.#rk !== null && this.#rk.offer(x, this.#dictionary(), this.s.nulls.unexplained, this.P, FLOOR.unexplained)) this.#dict = null;
  }

  /** The statistics of one text against the current state (no update). */
  measure(text: string): ProseValues {
    const P = this.P;
    let x = normalise(text.toLowerCase());
    if (x.length > P.maxBytes) x = x.slice(0, P.maxBytes);
    const buf = Buffer.from(x + '\n');
    const alone = deflatedBits(buf, P.level);
    const huff = deflatedBits(buf, P.level, undefined, constants.Z_HUFFMAN_ONLY);
    const given = this.s.dict.length > 0 ? deflatedBits(buf, P.level, this.#dictionary()) : alone;
    const shares = classShares(text, this.#shares);
    const bytes = Buffer.byteLength(text);
    const longest = longestToken(text);
    const unexplained = given / alone;
    const nw = this.novelWords(x);
    const novelty = nw.novel.length / (nw.words + 2);
    const typos = P.typoLetters > 0 ? nw.novel.filter((w) => misspelt(w, this.#vocab, P.typoLetters)).length : 0;
    const win = this.s.win;
    const n = Math.min(win.length + 1, P.window);
    let sum = unexplained;
    // The window's mean includes this text and the previous n − 1.
    for (let k = 1; k < n; k++) sum += win[(this.s.wpos - k + P.window * 2) % P.window];
    return {
      x, unexplained, novelty, novel: nw.novel, typos, repetition: alone / huff, length: Math.log2(bytes + 1),
      characters: this.s.n === 0 ? 0 : classDistance(shares, this.s.mix).d, token: Math.log2(longest + 1), window: sum / n,
      bytes, longest, shares, ending: endingClass(text),
      segment: measureSegment(text, P, this.#dictionary(), (w) => this.novelWords(w)) ?? { whole: true, bytes: buf.length, bits: given, alone, unexplained, novelty, novel: nw.novel },
    };
  }

  /** The last measured long token's size compressed given the dictionary and remembered tokens / alone (0: not measured). */
  tokenShare = 0;

  /** Score one text and update the state; returns a finding (without index) or null. */
  feed(text: string, threshold = 0.5, ts?: number): Omit<Finding, 'index'> | null {
    const s = this.s;
    const P = this.P;
    const v = this.measure(text);
    this.last = v;
    s.n++;
    const nl = s.nulls;
    const u = tailShares(nl, v);
    // A long token the stream used before (a formula, a path in every answer) is not a blob.
    // …nor one the stream's texts and tokens explain (a link to a page of a site the stream links
    // to, with a fresh id): a blob costs as much given any context as alone.
    this.tokenShare = 0;
    if (u.token >= 1) {
      this.tokenShare = P.tokenShare > 0 ? tokenShare(text, this.#dictionary(), s.tk ?? [], P.level) : 1;
      if (recurringToken((s.tk ??= []), text, P.tokenMemory, P.tokenBytes) || this.tokenShare < P.tokenShare) u.token = Math.min(u.token, 0);
    }
    // The last paragraph of a text of several, against the segments of its size (prose-segment.ts).
    const sv = v.segment;
    const su = sv.whole || sv.bytes < SEGMENT_MIN_BYTES ? null : segmentU(this.#sg, sv.bytes, sv.unexplained, sv.novelty, P.segmentWarmup, FLOOR);
    // A question said twice is no flood; a few words are also judged against texts of their size (prose-rare.ts).
    calmRare(u, text, sv, this.#sg, P, FLOOR);
    if (v.typos > 0) u.novelty = Math.min(u.novelty, upper(nl.novelty, v.novelty * (1 - v.typos / v.novel.length), FLOOR.novelty)); // a typo is no new word (prose-typo.ts); the null keeps each text's own share
    this.#segBin = su === null ? -1 : su.bin;
    // A text that ends unfinished where the stream's texts seldom do: cut off (prose-ending.ts).
    const ending = P.endingP > 0 ? endingShare((s.ed ??= freshEndings()), v.ending, P.endingP) : 0;
    const burst = this.#burst(text, ts); // texts of this one's kind in the window against the kind's usual share (prose-burst.ts)
    this.lastU = { ...u, ...(su === null ? {} : { paragraph: su.u + su.n }), ending, burst: burst?.s ?? 0 };
    const warm = s.n > P.warmupEvents && nl.unexplained.ring.length >= P.warmupNull;
    // A text longer than the stream's typical one weighs its vocabulary distance up: a few new
    // sentences (an injection, pasted code) are diluted in a long text's shares.
    const gain = Math.min(P.lengthGainMax, Math.max(1, 2 ** ((v.length - nl.length.q50) * P.lengthGain)));
    // While the recent texts are poorly explained too (an off-topic run beginning) and this text is
    // part of it (not a normal text after the run while the window mean lags), new vocabulary weighs more.
    const part = v.unexplained - nl.unexplained.q50 >= P.driftShare * (v.window - nl.window.q50);
    const wg = part ? 1 + P.windowGain * Math.max(0, u.window - P.windowGainFrom) / P.uHalf.window : 1;
    const known = this.#sn?.has(v.x) === true; // accepted word for word before: neither new vocabulary nor drift (prose-seen.ts)
    const d: Record<Decision, number> = { ...u, vocabulary: known ? 0 : (u.unexplained + u.novelty) * gain * wg, paragraph: known || su === null ? 0 : su.u + su.n, ending: known ? 0 : ending, burst: burst?.s ?? 0 };
    const override = OVERRIDE.exec(text)?.[0];
    const half = this.#halves(v, d, override !== undefined);
    // Each statistic's share of its own threshold; the largest decides.
    let top: Decision = 'vocabulary';
    for (const st of DECIDE) if (d[st] / half[st] > d[top] / half[top]) top = st;
    // Drift: the window is far from the reference and this text is part of it.
    // A text the window gain carried over the threshold is reported as part of the drift.
    const carried = top === 'vocabulary' && d.vocabulary >= half.vocabulary && d.vocabulary / wg < half.vocabulary;
    const drift = carried || (d.window >= half.window && u.unexplained >= P.driftSelf && d[top] < half[top] && part && !known);
    const stat: Decision = drift ? 'window' : top;
    const best = Math.max(d[stat] / half[stat], carried ? d.vocabulary / half.vocabulary : 0);
    this.override = override ?? '';
    let score = warm && best > 0 ? Math.min(1, best / (best + 1)) : 0;
    // A text flagged for its vocabulary is remembered; one of a kind that keeps coming back is not reported (prose-recur.ts).
    // …and so is one flagged for its last paragraph, which the memory keeps alone (a closing line that left the dictionary).
    if (score >= 0.5 && (stat === 'vocabulary' || stat === 'paragraph') && P.recurSize > 0) {
      const para = stat === 'paragraph' ? lastParagraph(text, P.maxBytes) : null;
      const again = override === undefined ? this.#secondOpinion(text, v, d, half, gain * wg) : null;
      noteRecur((s.rc ??= freshRecur()), para?.last ?? normalise(text.toLowerCase()).slice(0, P.maxBytes), s.n, this.#recur);
      if (again !== null && again < 1) score = again / (again + 1);
    } else if (warm && P.recurSize > 0 && half.vocabulary > P.uHalf.vocabulary && d.vocabulary >= P.uHalf.vocabulary) {
      noteRecur((s.rc ??= freshRecur()), v.x, s.n, this.#recur); // kept from a finding by its second alphabet: it vouches for its repeats as a flagged text would
    }
    this.rowScore = score;
    const flagged = score >= 0.5;
    pushWindow(s, v.unexplained, P.window); // every text: the window measures what arrives
    const ed = s.ed === undefined ? freshEndings() : [...s.ed]; // the counts this text was judged by (a finding quotes them)
    if (s.ed !== undefined) noteEnding(s.ed, v.ending, P.endingMemory); // every text: a way of ending that becomes common is learned
    const changed = noteFlag(s, flagged, P.flagMemory);
    if (burst !== undefined) noteBurst((s.bu ??= freshBurst()), burst.key, ts as number, !flagged || changed, P); // a reported text does not teach the rate
    // A near miss while the window is elevated stays out of the reference: an off-topic run must not explain itself,
    // and neither do its first texts, accepted before the window rose (prose-purge.ts).
    const quarantine = warm && best >= P.quarantineShare && u.window >= P.windowGainFrom;
    if (warm && flagged && stat === 'window' && P.runPurge > 0) this.#purge((s.pw ??= []));
    this.#sn?.note(s.n, flagged);
    if ((!flagged && !quarantine) || changed) this.#accept(v, P.runPurge > 0 && u.unexplained >= P.runPurge, P.holdEvents > 0 && warm && best >= P.quarantineShare);
    if (P.holdEvents > 0) for (const t of release((s.ph ??= []), s.n, P.holdEvents)) this.#learn(this.#remember(t));
    if (!warm || score < threshold) return null;
    const ctx = { nulls: s.nulls, sg: this.#sg, segBin: this.#segBin, mix: s.mix, window: Math.min(s.win.length, P.window), override: this.override, endings: ed, endingP: P.endingP, burst };
    return proseFinding(text, stat, v, d, score, changed, ctx);
  }

  /**
   * The thresholds a text is judged by: an instruction-override phrase lowers the vocabulary and paragraph ones (a prior);
   * a text over its vocabulary threshold written in the second alphabet of the stream's recent texts raises that one (prose-alphabet.ts).
   */
  #halves(v: ProseValues, d: Record<Decision, number>, override: boolean): Record<Decision, number> {
    const P = this.P;
    const half: Record<Decision, number> = { ...P.uHalf };
    if (override) {
      half.vocabulary /= 1 + P.overrideBoost;
      half.paragraph /= 1 + P.overrideBoost;
    } else if (P.alphabetRelief > 1 && d.vocabulary >= half.vocabulary && knownAlphabet(v.x, this.#alphabet(), P.alphabetMin)) {
      half.vocabulary *= P.alphabetRelief;
    }
    return half;
  }

  /** Counts of the second-alphabet characters of the deflate dictionary's texts (prose-alphabet.ts), kept while the dictionary is unchanged. */
  #alphabet(): ReadonlyMap<string, number> {
    const dict = this.#dictionary();
    if (this.#alphaOf !== dict) {
      this.#alpha = secondAlphabet(dict.toString('utf8'));
      this.#alphaOf = dict;
    }
    return this.#alpha;
  }

  /** The burst judgement of a text at event time ts (s 0: not judged; undefined: the view is off or the text has no time). */
  #burst(text: string, ts: number | undefined): BurstJudgement | undefined {
    const P = this.P;
    if (P.burstTexts <= 0 || ts === undefined || !Number.isFinite(ts)) return undefined;
    const key = openingKey(text, P.burstKeyChars);
    return judgeBurst((this.s.bu ??= freshBurst()), key, ts, P) ?? { ...NO_BURST, key };
  }

  /**
   * The text's largest share of a threshold, its vocabulary and last paragraph measured again given flagged texts of earlier episodes, else of lone
   * witnesses in another language for a text with a known word and the usual characters (prose-recur.ts); null: none. Below 1, v takes these values.
   */
  #secondOpinion(text: string, v: ProseValues, d: Record<Decision, number>, half: Record<Decision, number>, gain: number, lone = false): number | null {
    const P = this.P;
    const x = normalise(text.toLowerCase()).slice(0, P.maxBytes);
    const nw = this.novelWords(x);
    const rc = (this.s.rc ??= freshRecur()), sup = lone ? loneSupport(rc, this.s.n, this.#recur, this.#dictionary().toString('utf8'), P.recurLone) : recurSupport(rc, x, this.s.n, this.#recur);
    const next = (): number | null => (!lone && P.recurLone > 0 && nw.novel.length < nw.words && v.shares[CODE] - this.s.mix[CODE] < P.recurLoneCode ? this.#secondOpinion(text, v, d, half, gain, true) : null);
    if (sup === null) return next();
    const buf = Buffer.from(x + '\n');
    const given = Buffer.concat([this.#dictionary(), Buffer.from(sup.text + '\n')]);
    const unexplained = deflatedBits(buf, P.level, given) / deflatedBits(buf, P.level);
    const novel = nw.novel.filter((w) => !sup.words.has(w) && !misspelt(w, this.#vocab, P.typoLetters));
    const novelty = novel.length / (nw.words + 2);
    const nl = this.s.nulls;
    const vocabulary = (upper(nl.unexplained, unexplained, FLOOR.unexplained) + upper(nl.novelty, novelty, FLOOR.novelty)) * gain;
    let best = vocabulary / half.vocabulary;
    // The last paragraph (when judged) is measured again given them too: a closing line of a kind that keeps coming back.
    const sv = d.paragraph > 0 ? measureSegment(text, P, given, (w) => { const n = this.novelWords(w); return { novel: n.novel.filter((y) => !sup.words.has(y)), words: n.words }; }) : null;
    const su = sv === null ? null : segmentU(this.#sg, sv.bytes, sv.unexplained, sv.novelty, P.segmentWarmup, FLOOR);
    best = Math.max(best, su === null ? d.paragraph / half.paragraph : (su.u + su.n) / half.paragraph);
    // Witnesses at least half as long as the text (up to the cut they are kept at) vouch for its length too: a long kind that keeps coming back.
    const long = Math.max(...sup.text.split('\n').map((t) => t.length)) * 2 >= Math.min(x.length, P.recurText);
    for (const st of DECIDE) if (st !== 'vocabulary' && st !== 'paragraph' && !(long && st === 'length')) best = Math.max(best, d[st] / half[st]);
    if (best < 1) Object.assign(v, { unexplained, novelty, novel }, sv === null ? {} : { segment: sv });
    return best < 1 ? best : (next() ?? best);
  }

  /** A normal text joins the dictionary, the nulls and the usual character mix. */
  #accept(v: ProseValues, run: boolean, held: boolean): void {
    const s = this.s;
    const P = this.P;
    const x = v.x;
    if (held) hold((s.ph ??= []), s.n, x); /* a near miss joins later (prose-hold.ts) */ else this.#learn(this.#remember(x));
    this.#sn?.accept(x, s.n);
    if (run) noteRun((s.pw ??= []), x, s.n, P.window);
    const nl = s.nulls;
    if (s.n > P.dictWarmup) {
      for (const st of ['unexplained', 'novelty', 'window'] as const) pushNull(nl[st], v[st], P.nullSize);
      pushSegment(this.#sg, v.segment.bytes, v.segment.unexplained, v.segment.novelty, P.segmentNull, P.nullRefresh, P.segmentWarmup);
    }
    for (const st of ['repetition', 'length', 'token'] as const) pushNull(nl[st], v[st], P.nullSize);
    if (s.n > 1) pushNull(nl.characters, v.characters, P.nullSize);
    const a = s.n === 1 ? 1 : Math.max(P.classAlpha, 1 / s.n);
    for (let k = 0; k < CLASSES; k++) s.mix[k] += a * (v.shares[k] - s.mix[k]);
    s.ins++;
    if (s.ins % P.nullRefresh === 0 || s.ins <= 2 * P.warmupNull) for (const st of STATS) refreshNull(nl[st]);
  }

  save(): Uint8Array {
    this.sync();
    return encodeState(canonicalProse(this.s));
  }
}

export function scoreProse(
  state: Uint8Array | null,
  events: ScoreInput[],
  params: Readonly<ProseParams> = PROSE_PARAMS,
  rows?: Float32Array,
  threshold = 0.5,
): { state: Uint8Array; findings: Finding[]; scored: number } {
  const scorer = new ProseScorer(decodeProse(state), params);
  const findings: Finding[] = [];
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const text = e === null || typeof e !== 'object' ? undefined : e.text;
    if (typeof text !== 'string') continue;
    scored++;
    const f = scorer.feed(text, threshold, e.ts);
    if (f !== null) findings.push({ index: i, ...f });
    if (rows !== undefined) rows[i] = scorer.rowScore;
  }
  return { state: scorer.save(), findings, scored };
}
