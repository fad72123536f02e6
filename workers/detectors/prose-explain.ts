// The words and figures of a finding of the free-text detector (prose.ts), kept apart from it for size.
import type { Finding } from '../types.js';
import { empiricalP, formatP } from './pvalue.js';
import { classDistance, CLASS_NAMES, topWord, type TailNull } from './prose-features.js';
import type { Decision } from './prose-params.js';
import { endingP, ENDINGS } from './prose-ending.js';
import { explainParagraph, segmentBin, type SegmentState } from './prose-segment.js';
import type { ProseValues, Stat } from './prose-state.js';
import { NO_BURST, span, type BurstJudgement } from './prose-burst.js';

export const PROSE_DETECTOR = 'prose_surprise';

/**
 * What a finding quotes besides the text's values: the stream's nulls, the paragraph's size bin (-1: none), the usual character
 * mix, the window's size, the override phrase ('' when none), the counts of the ways its texts ended and the share under which a way is news (prose-ending.ts).
 */
/** Said of a text flagged while most recent texts were flagged too (noteFlag: the stream changed). */
const CHANGED = ' Most recent texts were flagged: the stream has changed, so this text is accepted into its reference.';

/**
 * A finding of the free-text detector: the score to 4 decimals, and when the stream has changed
 * (noteFlag) the sentence that says so and `accepted` last among the details.
 */
function built(score: number, explanation: string, changed: boolean, details: Record<string, string | number | boolean>): Omit<Finding, 'index'> {
  return {
    score: Number(score.toFixed(4)),
    detector: PROSE_DETECTOR,
    explanation: changed ? explanation + CHANGED : explanation,
    details: changed ? { ...details, accepted: true } : details,
  };
}

export interface FindingContext { nulls: Record<Stat, TailNull>; sg: SegmentState; segBin: number; mix: readonly number[]; window: number; override: string; endings: readonly number[]; endingP: number; burst?: BurstJudgement }

/** A text that ends unfinished (prose-ending.ts): the class, how many of the stream's texts ended so, the estimate. */
function endingFinding(text: string, v: ProseValues, share: number, score: number, changed: boolean, ctx: FindingContext): Omit<Finding, 'index'> {
  const k = v.ending;
  const total = ctx.endings.reduce((a, b) => a + b, 0);
  const p = endingP(ctx.endings, k);
  const tail = text.trimEnd().slice(-24).replace(/\s+/g, ' ');
  const seen = ctx.endings[k] < 1 ? 'none' : `${Math.round(ctx.endings[k])}`;
  const explanation = `This text ends unfinished, on a ${ENDINGS[k]} ("…${tail}"), where ${seen} of the ${Math.round(total)} texts of the stream counted so far ended on one ` +
    `(an estimated ${(p * 100).toPrecision(2)}% of its texts, under the ${(ctx.endingP * 100).toPrecision(2)}% taken as normal): an answer cut off by a token limit, a timeout or a dropped connection.`;
  return built(score, explanation, changed, {
    kind: 'ending', incident_key: 'ending', ending: ENDINGS[k], last_chars: tail,
    value: Number(p.toPrecision(3)), typical: Number(endingP(ctx.endings, 0).toPrecision(3)), tail_distance: Number(share.toFixed(3)), p_value: Number(p.toPrecision(3)), null_size: Math.round(total),
    unexplained: Number(v.unexplained.toFixed(4)), repetition: Number(v.repetition.toFixed(4)), bytes: v.bytes, longest_token: v.longest,
    ...(ctx.override !== '' ? { override: ctx.override } : {}),
  });
}

/** A burst of texts of one kind (prose-burst.ts): how many in how long, against the kind's usual share. */
function burstFinding(v: ProseValues, b: BurstJudgement, score: number, changed: boolean): Omit<Finding, 'index'> {
  const p = 10 ** -b.s;
  const explanation = `${b.count} of the stream's last ${b.texts} texts (in ${span(b.spanMs)}) open like this one ("${b.key} …"), where usually ${(b.share * 100).toPrecision(2)}% of its texts do ` +
    `(${b.expected.toPrecision(2)} expected among ${b.texts}; p ≈ ${p.toPrecision(2)}): a burst of near-identical answers (a model refusing or repeating itself), each ordinary on its own.`;
  return built(score, explanation, changed, {
    kind: 'burst', incident_key: `burst:${b.key}`, opening: b.key, count: b.count, texts: b.texts, span_ms: b.spanMs,
    value: b.count, typical: Number(b.expected.toPrecision(3)), share: Number(b.share.toPrecision(3)), tail_distance: Number(b.s.toFixed(3)), p_value: Number(p.toPrecision(3)),
    unexplained: Number(v.unexplained.toFixed(4)), bytes: v.bytes,
  });
}

export function proseFinding(text: string, stat: Decision, v: ProseValues, u: Record<Decision, number>, score: number, changed: boolean, ctx: FindingContext): Omit<Finding, 'index'> {
  if (stat === 'ending') return endingFinding(text, v, u.ending, score, changed, ctx);
  if (stat === 'burst') return burstFinding(v, ctx.burst ?? NO_BURST, score, changed);
  const sv = v.segment;
  const bin = stat === 'paragraph' && ctx.segBin >= 0 ? ctx.segBin : segmentBin(sv.bytes);
  const nl = stat === 'paragraph' ? ctx.sg.u[bin] : ctx.nulls[stat === 'vocabulary' ? 'unexplained' : stat];
  const val = stat === 'vocabulary' ? v.unexplained : stat === 'paragraph' ? sv.unexplained : v[stat];
  const p = stat === 'repetition' ? empiricalP(nl.ring.map((x) => -x), -val) : empiricalP(nl.ring, val);
  const pText = formatP(p, nl.ring.length, 'texts of this stream');
  const typ = nl.q50;
  let explanation: string;
  const extra: Record<string, number | string> = {};
  switch (stat) {
    case 'vocabulary':
      Object.assign(extra, { novel_words: v.novel.slice(0, 8).join(' '), novelty: Number(v.novelty.toFixed(4)) });
      explanation = `This text is poorly explained by the stream's recent texts: ${(val * 100).toFixed(0)}% of its compressed size remains given them vs. a typical ${(typ * 100).toFixed(0)}%, ` +
        `and ${v.novel.length} of its words never appear in them${v.novel.length > 0 ? ` (${v.novel.slice(0, 6).map((w) => `"${w}"`).join(', ')}${v.novel.length > 6 ? '…' : ''})` : ''}: new vocabulary (another language, code, instructions or a new topic)` +
        (ctx.override !== '' ? `; it holds the instruction-override phrase "${ctx.override}"` : '');
      break;
    case 'paragraph':
      explanation = explainParagraph(sv, typ, bin, ctx.override, extra);
      break;
    case 'repetition': {
      const w = topWord(text);
      if (w.count > 1) Object.assign(extra, { top_word: w.word, top_word_count: w.count, words: w.words });
      explanation = `This text compresses far too well: its compressed size is ${(val * 100).toFixed(0)}% of its Huffman-only size vs. a typical ${(typ * 100).toFixed(0)}% (repetition${w.count > 2 ? `: "${w.word}" ${w.count} times in ${w.words} words` : ''})`;
      break;
    }
    case 'length':
      explanation = `This text is ${v.bytes} bytes long vs. a typical ${Math.round(2 ** typ - 1)}`;
      break;
    case 'characters': {
      const c = classDistance(v.shares, ctx.mix);
      Object.assign(extra, { class: CLASS_NAMES[c.top], class_share: Number(v.shares[c.top].toFixed(3)), usual_share: Number(ctx.mix[c.top].toFixed(3)) });
      explanation = `Its character mix differs from the stream's: ${CLASS_NAMES[c.top]} ${(v.shares[c.top] * 100).toFixed(0)}% vs. a usual ${(ctx.mix[c.top] * 100).toFixed(0)}% (L1 distance ${val.toFixed(2)} vs. typical ${typ.toFixed(2)})`;
      break;
    }
    case 'token':
      explanation = `It holds a ${v.longest}-character token without spaces vs. a typical longest ${Math.round(2 ** typ - 1)} (an encoded blob, a key or a URL)`;
      break;
    case 'window':
      explanation = `The stream's last ${ctx.window} texts are poorly explained by its reference texts: ${(val * 100).toFixed(0)}% of their compressed size remains vs. a typical ${(typ * 100).toFixed(0)}% (a change of topic or language), and this text is part of it (${(v.unexplained * 100).toFixed(0)}%)`;
      break;
  }
  explanation += `; ${u[stat].toFixed(1)}× as far from the typical as the stream's 1% tail${stat === 'vocabulary' || stat === 'paragraph' ? ' (unexplained + new words)' : ''}, ${pText}.`;
  return built(score, explanation, changed, {
    kind: stat === 'window' ? 'drift' : stat,
    // Incidents (engine/transforms/incidents.ts) fold findings of one key: a drift window, a flood of one word, one statistic.
    incident_key: stat === 'window' ? 'drift' : stat === 'repetition' && typeof extra.top_word === 'string' ? `repetition:${extra.top_word}` : stat,
    ...(ctx.override !== '' ? { override: ctx.override } : {}),
    value: Number(val.toFixed(4)),
    typical: Number(typ.toFixed(4)),
    tail_distance: Number(u[stat].toFixed(3)),
    p_value: Number(p.toPrecision(3)),
    null_size: nl.ring.length,
    unexplained: Number(v.unexplained.toFixed(4)),
    repetition: Number(v.repetition.toFixed(4)),
    bytes: v.bytes,
    longest_token: v.longest,
    ...extra,
  });
}
