// The sequence detector's reference (sessions.ts): the stream's normal sessions as profiles
// (template counts), the transitions seen and the counts behind the count invariants; bounded
// by maxProfiles / maxProfileBytes (the rarest profile dropped first) and maxTransitions.
import { jsonBytes } from './budget.js';
import { SESSION_PARAMS, type SessionParams } from './sessions-params.js';

/** A profile's count, colon and comma. */
const PROFILE_BYTES = 18;

/** Bytes of a model's profiles as budget.ts accounts them (cached per model; learnSession keeps it). */
const profileBytes = new WeakMap<SessionModel, number>();

function profilesBytes(model: SessionModel): number {
  let b = profileBytes.get(model);
  if (b === undefined) {
    b = 0;
    for (const p of Object.keys(model.profiles)) b += jsonBytes(p) + PROFILE_BYTES;
    profileBytes.set(model, b);
  }
  return b;
}

/** The stream's normal sessions: profile → count, the transitions seen, and the counts behind the invariants. */
export interface SessionModel {
  sessions: number;
  profiles: Record<string, number>;
  transitions: Record<string, true>;
  /** Per tracked template: reference sessions holding it. */
  holding: Record<string, number>;
  /** Per pair "Ti Tj" (i < j) and ratio "Ti Tj a b": sessions holding both, and those where a·count(Ti) = b·count(Tj). */
  both: Record<string, number>;
  ratioOk: Record<string, number>;
  /**
   * The tracker's count of every session it judged (flagged ones too) and, per template (the
   * first maxTemplates), how many of them held it: a template that became common stops being
   * rare even though the sessions it first appeared in were flagged and never joined the
   * reference. Absent in states written before it (read as none) and in fitted models.
   */
  judged?: number;
  seen?: Record<string, number>;
}

const RATIOS: readonly (readonly [number, number])[] = [[1, 1], [1, 2], [2, 1], [1, 3], [3, 1]];

export function freshModel(): SessionModel {
  return { sessions: 0, profiles: {}, transitions: {}, holding: {}, both: {}, ratioOk: {} };
}

const templateOrder = (a: string, b: string): number => {
  const na = Number(/\d+$/.exec(a)?.[0] ?? NaN);
  const nb = Number(/\d+$/.exec(b)?.[0] ?? NaN);
  if (na !== nb && Number.isFinite(na) && Number.isFinite(nb) && a.replace(/\d+$/, '') === b.replace(/\d+$/, '')) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
};

/** The sequence's template counts in template order: `T1x3 T2x3 T5x1`. */
export function sessionProfile(seq: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const t of seq) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.keys()].sort(templateOrder).map((t) => `${t}x${counts.get(t) as number}`).join(' ');
}

export function transitionsOf(seq: readonly string[]): string[] {
  const out: string[] = [];
  let prev = '^';
  for (const t of seq) {
    out.push(`${prev}>${t}`);
    prev = t;
  }
  out.push(`${prev}>$`);
  return out;
}

/** Adds one normal session to the reference. */
export function learnSession(model: SessionModel, seq: readonly string[], params: SessionParams = SESSION_PARAMS): void {
  const p = sessionProfile(seq);
  model.sessions++;
  let bytes = profilesBytes(model);
  if (!Object.hasOwn(model.profiles, p)) bytes += jsonBytes(p) + PROFILE_BYTES;
  model.profiles[p] = (model.profiles[p] ?? 0) + 1;
  // Transitions are learnt only when they are scored, and at most maxTransitions of them.
  if (params.transitions) {
    let size = -1;
    for (const t of transitionsOf(seq)) {
      if (model.transitions[t] === true) continue;
      if (size < 0) size = Object.keys(model.transitions).length;
      if (size >= params.maxTransitions) break;
      model.transitions[t] = true;
      size++;
    }
  }
  learnCounts(model, seq, params);
  let keys = Object.keys(model.profiles);
  while (keys.length > 1 && (keys.length > params.maxProfiles || bytes > params.maxProfileBytes)) {
    // Drop the rarest profile (the first of the rarest in insertion order: deterministic).
    let worst = keys[0];
    for (const k of keys) if (model.profiles[k] < model.profiles[worst]) worst = k;
    delete model.profiles[worst];
    bytes -= jsonBytes(worst) + PROFILE_BYTES;
    keys = keys.filter((k) => k !== worst);
  }
  profileBytes.set(model, bytes);
}

/** Updates the counts behind the invariants with one session (only its own templates: O(k²)). */
function learnCounts(model: SessionModel, seq: readonly string[], params: SessionParams): void {
  const counts = countsOf(seq);
  const tracked: string[] = [];
  for (const t of [...counts.keys()].sort()) {
    if (model.holding[t] === undefined && Object.keys(model.holding).length >= params.invariantTemplates) continue;
    model.holding[t] = (model.holding[t] ?? 0) + 1;
    tracked.push(t);
  }
  for (let x = 0; x < tracked.length; x++) {
    for (let y = x + 1; y < tracked.length; y++) {
      const [i, j] = [tracked[x], tracked[y]];
      model.both[`${i} ${j}`] = (model.both[`${i} ${j}`] ?? 0) + 1;
      for (const [a, b] of RATIOS) {
        if (a * (counts.get(i) as number) === b * (counts.get(j) as number)) model.ratioOk[`${i} ${j} ${a} ${b}`] = (model.ratioOk[`${i} ${j} ${a} ${b}`] ?? 0) + 1;
      }
    }
  }
}

export function countsOf(seq: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of seq) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/** The invariants that hold: [Ti, Tj, a, b] with support ≥ invariantSupport and share ≥ invariantConf. */
export function invariantsOf(model: SessionModel, params: SessionParams): [string, string, number, number][] {
  if (!(params.invariantConf > 0)) return [];
  const out: [string, string, number, number][] = [];
  for (const [key, ok] of Object.entries(model.ratioOk)) {
    const [i, j, a, b] = key.split(' ');
    // Sessions holding Ti or Tj: a·count = b·count with one of them 0 never holds.
    const support = (model.holding[i] ?? 0) + (model.holding[j] ?? 0) - (model.both[`${i} ${j}`] ?? 0);
    if (support >= params.invariantSupport && ok / support >= params.invariantConf) out.push([i, j, Number(a), Number(b)]);
  }
  return out;
}

export function fitSessions(seqs: Iterable<readonly string[]>, params: SessionParams = SESSION_PARAMS): SessionModel {
  const m = freshModel();
  for (const s of seqs) learnSession(m, s, params);
  return m;
}
