// The free-text detector's parameters (prose.ts; the same for every stream), kept apart from it for size.
import { TEXT_BUDGET } from './budget.js';

export const PROSE_PARAMS = Object.freeze({
  /** Bytes of recent normal texts kept as the deflate dictionary. */
  dictBytes: 12288,
  /** …and at most this many bytes of them in the state's JSON (budget.ts; bites only on texts of escaped characters). */
  dictJsonBytes: TEXT_BUDGET.proseDict,
  /** Texts are compressed on their first maxBytes (after normalisation); deflate level. */
  maxBytes: 4096,
  level: 6,
  /** Values kept per statistic's null; its quantiles are refreshed every nullRefresh texts. */
  nullSize: 512,
  nullRefresh: 16,
  /** No finding before this many texts, nor before the nulls hold warmupNull values. */
  warmupEvents: 100,
  warmupNull: 64,
  dictWarmup: 40, // texts whose `unexplained` does not enter its null (the dictionary is still filling)
  /**
   * Tail distance at which a score reaches 0.5, per statistic (the same for every stream): the
   * tails differ in shape (a window mean is tight, repetition of a phrase is common in prose).
   * Chosen on the llm generator's seeds 1–10 (README: Evaluation); vocabulary 2.8 → 2.4 with the
   * long-run vocabulary and the length gain (on llm seeds 1–10 and llm-dev seeds 201–205).
   */
  uHalf: Object.freeze({ vocabulary: 2.4, paragraph: 2.4, repetition: 3, length: 2, characters: 2.5, token: 2, window: 2, ending: 1, burst: 4 }),
  /**
   * A text ending unfinished (a letter, a digit or a joiner such as a comma: prose-ending.ts) whose
   * class's estimated share of the stream's texts is p has a share log p / log endingP of its
   * threshold (uHalf.ending 1: a score of 0.5 at p = endingP); 0 turns it off. The class counts are
   * halved once they pass endingMemory texts. An unseen class is judged from 1 / (2 × endingP) texts on.
   */
  endingP: 0.002,
  endingMemory: 4096,
  /**
   * A text with an instruction-override phrase (OVERRIDE below: "ignore previous instructions",
   * "system prompt", "developer mode"…) needs a vocabulary distance of uHalf / (1 + this): a prior,
   * as severity words are for log lines; it never flags a text the stream's history explains.
   */
  overrideBoost: 1,
  /**
   * The vocabulary distance of a text longer than the stream's typical (median) one is multiplied
   * by (bytes / typical bytes)^lengthGain, at most lengthGainMax; shorter texts keep theirs.
   * Chosen on llm-dev seeds 201–205 and llm seeds 1–10 (0.15–0.5 gave the same figures).
   */
  lengthGain: 0.25,
  lengthGainMax: 1.5,
  /**
   * The vocabulary distance is multiplied by 1 + windowGain × (u(window) − windowGainFrom) / uHalf.window
   * when the window's tail distance is above windowGainFrom: the first texts of an off-topic run,
   * before the window mean reaches its threshold; and a text at ≥ quarantineShare of its threshold
   * while u(window) ≥ windowGainFrom does not join the reference (an off-topic run that leaks into
   * the dictionary explains its own later texts). Chosen on llm-dev seeds 201-205, 216-225 and llm 1-10.
   */
  windowGain: 1,
  windowGainFrom: 0.5,
  quarantineShare: 0.7,
  /**
   * The last paragraph of a text of several is judged against the segments of its size
   * (prose-segment.ts): segmentNull values per size bin, judged from segmentWarmup values on; its
   * vocabulary distance has its own threshold uHalf.paragraph. Chosen on llm-dev seeds 201-205 and
   * 216-225 (a simulation of the bins and ring sizes before the code; llm seeds 1-10 have no text of
   * several paragraphs).
   */
  segmentNull: 256,
  segmentWarmup: 64,
  /** Long tokens remembered (prose-features.ts recurringToken): a token the stream used before is not a blob. */
  tokenMemory: 32,
  /** …and at most this many bytes of them in the state's JSON (budget.ts), the oldest out. */
  tokenBytes: TEXT_BUDGET.proseTokens,
  /**
   * The recurrence memory (prose-recur.ts): at most recurSize texts flagged for their vocabulary (or last paragraphs)
   * (recurText characters each, recurBytes of JSON), episodes split at gaps of more than recurGap
   * texts, recurPerEpisode texts kept of each; a flagged text whose vocabulary distance falls under
   * its threshold given the texts of the episodes left after dropping the recurEpisodes − 1 closest
   * to it is a kind that keeps coming back. Chosen on llm-shop seeds 201-210, llm 1-10 and llm-dev
   * 216-225: recurEpisodes 2 → 3 left llm-shop 201-210 at 4.8 instead of 3.9 false alarms per
   * 1,000 with the same recall; recurGap 5 lost 11 of its topic-drift incidents, 20 gave 4.2 per 1,000.
   */
  recurSize: 48,
  recurBytes: TEXT_BUDGET.proseRecur,
  recurText: 400,
  recurPerEpisode: 3,
  recurGap: 10,
  recurEpisodes: 2,
  /**
   * Lone witnesses (prose-recur.ts loneSupport): when the episodes above do not vouch, the closed
   * episodes of a single flagged text whose letter-pair profile has a cosine under recurLone with
   * the dictionary's (another language: a steady second language, not a run, not an injection in
   * the stream's own words) do, for a text with at least one word the stream knows and a share of
   * code symbols less than recurLoneCode above the stream's usual mix (ordinary text, not pasted
   * code); 0 turns it off. llm-shop 201-210: 0.884 at 2.46 → 0.884 at 2.14 false alarms per 1,000
   * (0.5: 2.35; without the known-word condition 2.00 but a repeated foreign-language incident
   * vouched for by its first copy). Branch shop14: the code condition was u(characters) under 0.5
   * (a repeated code paste in llm seed 4 has u 0.95), which also turned away a Spanish reply whose
   * accents, digits and "¡" moved its mix (u 0.99); with code symbols: llm-shop 201-210 71 → 67
   * false alarms, llm 1-10 unchanged at 0.02 (0.05 lost a topic-drift incident; no condition at
   * all lost 2 pasted-code incidents).
   */
  recurLone: 0.65,
  recurLoneCode: 0.02,
  /**
   * Episodes of up to recurLoneSize flagged texts hold lone witnesses (an off-topic run has 8 or
   * more): llm-shop 201-210 0.910 at 2.11 → 0.910 at 1.97 false alarms per 1,000 with 2 instead of 1
   * (the same second-language ask twice within recurGap texts was no witness: "¿hay descuento esta
   * semana?" at texts 908 and 914 of seed 204's shop chat, reported again at 1241); llm 1-10 unchanged.
   */
  recurLoneSize: 2,
  /**
   * A long token whose compressed size given the stream's texts and remembered tokens is under
   * this share of its size compressed alone is not a blob (a link with a fresh id to a page of a
   * site the stream links to); random base64, hex or base58 gains nothing from any context (≈ 1).
   * Chosen on llm-shop seeds 201-205, llm 1-5 and llm-dev 201-205: links 0.1-0.6 once their site
   * was seen, e-mail addresses mostly 0.3-0.7, blobs 1.0.
   */
  tokenShare: 0.7,
  /**
   * The rare-kind memory (prose.ts #rare): a text leaving the dictionary that the rest of it
   * explains poorly (`unexplained` tail distance ≥ rareFrom: a second language of a few percent
   * of the stream) stays in the deflate dictionary, at most rareText characters each and
   * rareBytes of JSON (budget.ts), oldest out; 0 turns it off. llm-shop 201-210: 4.8 → 3.7 false
   * alarms per 1,000 with the flood rule below, recall 0.861 → 0.869.
   */
  rareBytes: TEXT_BUDGET.proseRare,
  rareFrom: 1,
  rareText: 400,
  /**
   * A one-paragraph text of under shortBytes bytes (normalised: the shortest size bin of
   * prose-segment.ts) is also judged against the texts of its size, the smaller tail distance
   * counting (a typo is a large share of "prec?"); 0 turns it off. Chosen on llm-shop seeds
   * 201-210 and llm-dev 201-205: 16, 24 and 32 left recall as it was; only texts shorter than the
   * stream's median lost 34 of its incidents (short off-topic questions).
   */
  shortBytes: 32,
  /**
   * When a drift is reported, the texts accepted in the window before it whose `unexplained` tail
   * distance was ≥ runPurge leave the dictionary (prose-purge.ts); 0: off. Chosen on llm-shop
   * 201-210 and llm-dev 201-205: topic_drift 343 → 351/412 at the same false alarms; 0.3 gave one
   * more at one more false alarm; also keeping such texts' words out of the long-run vocabulary
   * until they leave the memory gave 2 more injections at 8 more false alarms (not kept).
   */
  runPurge: 0.5,
  /**
   * The verbatim memory (prose-seen.ts): keys (64 bits of SHA-256) of the last seenTexts distinct accepted texts after
   * which no text was flagged for seenHold events; a text among them is neither new vocabulary nor drift. 0: off.
   */
  seenTexts: 1024,
  seenHold: 16,
  /**
   * A near miss (accepted at ≥ quarantineShare of a threshold) joins the dictionary and the
   * long-run vocabulary holdEvents texts later, and never when a drift is reported meanwhile
   * (prose-hold.ts); 0: at once. Chosen on llm-code and llm-shop 201-210 (diag, direct scorer):
   * llm-code 336 -> 344/377 at 62 -> 53 false alarms; llm-shop 541 -> 557/612 at 70 -> 78
   * (4 events: 337 at 62 and 556 at 78; quarantineShare 0.85 for the hold: 340 at 60 and 552 at 77;
   * held texts kept through a drift: 343 at 60 and 554 at 75).
   */
  holdEvents: 8,
  /**
   * The burst view (prose-burst.ts): texts of one kind (the same opening word) among the last
   * burstTexts texts within burstMs of event time, against the kind's decayed share of the stream
   * (half-life burstHalfLife texts, the burstKeys most frequent kinds of at most burstKeyChars
   * characters), judged from burstMin texts of the kind and once the history counts burstWarmup
   * texts; uHalf.burst is the −log10 of the Poisson tail at which the score is 0.5. 0 burstTexts: off.
   * Chosen on llm-agent seeds 201-210 (a simulation before the code): windows of 8, 12 and 16 texts
   * and the last 5 or 10 minutes found 96-100 of the 120 refusal-burst incidents (91 before);
   * uHalf.burst 3.5 doubled the false alarms it added, 5 found 3 fewer; the first two words as the
   * kind found 5 fewer; the word without its apostrophe ("i'm" → "i") one more false alarm.
   */
  burstTexts: 8,
  burstMs: 600_000,
  burstMin: 3,
  burstHalfLife: 500,
  burstKeys: 32,
  burstKeyChars: 16,
  burstWarmup: 200,
  /** A repetition finding needs a word repeated this many times, or none repeated at all (a text that asks its question twice is no flood); 0 turns it off. */
  floodCount: 3,
  /** A drift finding also needs the text's own `unexplained` tail distance ≥ this. */
  driftSelf: 0.5,
  /**
   * A drift finding also needs the text's own `unexplained` at least this share of the window's
   * distance from typical (text − its median ≥ share × (window − its median)): the window mean
   * lags, so the normal texts just after an off-topic run would otherwise be reported as drift.
   */
  driftShare: 0.5,
  window: 8, // texts in the drift window
  /** Distinct words per generation of the long-run vocabulary (prose-lexicon.ts): a word is new only if neither the dictionary nor it holds it. */
  lexiconWords: 1024,
  /**
   * A novel word of at least typoLetters Latin lower-case letters one edit from a word of the
   * dictionary's texts of as many letters is a typo: the text's novelty is judged without it (the
   * null keeps every text's own share; prose-typo.ts); 0 turns it off.
   */
  typoLetters: 4,
  /**
   * A text over its vocabulary threshold whose characters beyond ASCII (letters, marks, "¿", "¡") all occur
   * at least alphabetMin times in the deflate dictionary's texts (a second language the stream's users write:
   * prose-alphabet.ts) is judged at uHalf.vocabulary × alphabetRelief; 1 turns it off.
   */
  alphabetRelief: 1.5,
  alphabetMin: 2,
  /** Recent flags remembered; above half flagged, texts are accepted again (the stream changed). */
  flagMemory: 64,
  /** EWMA weight of the usual character mix. */
  classAlpha: 0.02,
});
/** The statistics a threshold applies to (prose.ts: DECIDE, and 'window'). */
export type Decision = 'vocabulary' | 'paragraph' | 'repetition' | 'length' | 'characters' | 'token' | 'window' | 'ending' | 'burst';
export type ProseParams = { [K in Exclude<keyof typeof PROSE_PARAMS, 'uHalf'>]: number } & { uHalf: Readonly<Record<Decision, number>> };

/** Phrases that try to override an assistant's instructions (a prior, never a finding alone). */
export const OVERRIDE =
  /\b(?:ignore|disregard|forget|override|bypass)\b[^.?!\n]{0,40}\b(?:instructions?|rules|guidelines|polic(?:y|ies)|directions|prompt|everything|restrictions)\b|\bsystem prompt\b|\bdeveloper (?:mode|message)\b|\byou are now\b|<\/?(?:system|user|assistant)>|\bjailbreak\b/i;
