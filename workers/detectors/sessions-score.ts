// The sequence detector's score (sessions.ts): a closed session's profile compressed against
// the reference's profiles (deflate dictionary, commonest last), unseen transitions, broken count
// invariants and rare templates, max-combined; and the finding's explanation.
import { deflatedBits } from './deflate.js';
import { countsOf, invariantsOf, sessionProfile, transitionsOf, type SessionModel } from './sessions-model.js';
import { SESSION_PARAMS, type SessionParams } from './sessions-params.js';

export interface SessionScore {
  score: number;
  costBits: number;
  excessBits: number;
  novelTransitions: string[];
  /** Invariants this session breaks, as "a·Ti = b·Tj". */
  brokenInvariants: string[];
  unseenTemplates: string[];
  /** Templates held by fewer than rareShare of the reference sessions (unseen ones included). */
  rareTemplates: string[];
  profile: string;
}

/** The deflate dictionary and the cost of a perfect match, rebuilt when the profiles change. */
interface Dictionary {
  key: string;
  dict: Buffer;
  baseBits: number;
  templates: Set<string>;
  /** Per template: reference sessions (of the kept profiles) holding it. */
  holding: Map<string, number>;
  invariants: [string, string, number, number][];
}

const dictCache = new WeakMap<SessionModel, Dictionary>();

function dictionaryOf(model: SessionModel, params: SessionParams): Dictionary {
  const entries = Object.entries(model.profiles);
  const key = `${model.sessions}/${entries.length}/${params.dictBytes}/${params.level}/${params.invariantConf}/${params.invariantSupport}`;
  const cached = dictCache.get(model);
  if (cached !== undefined && cached.key === key) return cached;
  // Commonest last: deflate reaches back least far for the likeliest match.
  entries.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let text = entries.map(([p]) => p).join('\n') + '\n';
  const all = Buffer.from(text, 'utf8');
  const dict = all.length > params.dictBytes ? all.subarray(all.length - params.dictBytes) : all;
  const templates = new Set<string>();
  const holding = new Map<string, number>();
  for (const [p, n] of entries) {
    for (const part of p.split(' ')) {
      const t = part.slice(0, part.lastIndexOf('x'));
      templates.add(t);
      holding.set(t, (holding.get(t) ?? 0) + n);
    }
  }
  const commonest = entries.length > 0 ? entries[entries.length - 1][0] : '';
  text = '';
  const d: Dictionary = { key, dict, baseBits: 0, templates, holding, invariants: invariantsOf(model, params) };
  d.baseBits = costBits(commonest, d, params);
  dictCache.set(model, d);
  return d;
}

function costBits(profile: string, d: Dictionary, params: SessionParams): number {
  const input = Buffer.from(profile + '\n', 'utf8');
  return deflatedBits(input, params.level, d.dict.length > 0 ? d.dict : undefined);
}

/** Scores a closed session's template sequence against the reference. */
export function scoreSession(model: SessionModel, seq: readonly string[], params: SessionParams = SESSION_PARAMS): SessionScore {
  const d = dictionaryOf(model, params);
  const profile = sessionProfile(seq);
  const cost = costBits(profile, d, params);
  const excessBits = Math.max(0, cost - d.baseBits);
  const novelTransitions = params.transitions ? [...new Set(transitionsOf(seq).filter((t) => model.transitions[t] !== true))] : [];
  const unseenTemplates = [...new Set(seq.filter((t) => !d.templates.has(t)))];
  const rareBelow = params.rareShare * Math.max(model.sessions, model.judged ?? 0);
  const heldBy = (t: string): number => Math.max(d.holding.get(t) ?? 0, model.seen?.[t] ?? 0);
  const rareTemplates = params.rareShare > 0 ? [...new Set(seq.filter((t) => heldBy(t) === 0 || heldBy(t) < rareBelow))] : [];
  const counts = countsOf(seq);
  const brokenInvariants: string[] = [];
  for (const [i, j, a, b] of d.invariants) {
    const ci = counts.get(i) ?? 0;
    const cj = counts.get(j) ?? 0;
    if ((ci > 0 || cj > 0) && a * ci !== b * cj) brokenInvariants.push(`${a === 1 ? '' : a}${i} = ${b === 1 ? '' : b}${j}`);
  }
  const compression = excessBits / (excessBits + params.marginBits);
  const sequence = novelTransitions.length > 0 ? 1 - 2 ** -novelTransitions.length : 0;
  const invariants = brokenInvariants.length > 0 ? 1 - 2 ** -brokenInvariants.length : 0;
  const rare = rareTemplates.length > 0 ? 1 - 2 ** -rareTemplates.length : 0;
  return { score: Math.max(compression, sequence, invariants, rare), costBits: cost, excessBits, novelTransitions, brokenInvariants, unseenTemplates, rareTemplates, profile };
}

/** One or two sentences for a session finding. */
export function explainSession(key: string, seq: readonly string[], s: SessionScore, model: SessionModel): string {
  const parts = [`session ${key} (${seq.length} events) has template counts ${s.profile}`];
  const seen = model.profiles[s.profile] ?? 0;
  parts.push(seen > 0 ? `seen in ${seen} of ${model.sessions} normal sessions` : `costs ${s.excessBits} bits more than a normal session when compressed against the ${model.sessions} normal sessions`);
  let text = parts.join(', ');
  if (s.unseenTemplates.length > 0) text += `; templates never seen in a normal session: ${s.unseenTemplates.slice(0, 5).join(', ')}`;
  const rareSeen = s.rareTemplates.filter((t) => !s.unseenTemplates.includes(t));
  if (rareSeen.length > 0) text += `; templates rare in normal sessions: ${rareSeen.slice(0, 5).join(', ')}`;
  if (s.brokenInvariants.length > 0) text += `; breaks ${s.brokenInvariants.length} count relation${s.brokenInvariants.length === 1 ? '' : 's'} that hold in normal sessions (${s.brokenInvariants.slice(0, 3).join(', ')})`;
  if (s.novelTransitions.length > 0) text += `; ${s.novelTransitions.length} step${s.novelTransitions.length === 1 ? '' : 's'} never seen in that order (${s.novelTransitions.slice(0, 3).join(', ')})`;
  return text + '.';
}
