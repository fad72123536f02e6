// `driftwatch eval sessions`: the sequence detector on sessions already grouped by entity
// (Loghub's HDFS block sessions), fitted on the train split, reported on the test split.
//
//   DIR/sessions.csv  BlockId,Label,<split column>,…,TemplateSequence ("T5 T1 T1 …")
//        │ train ──► five folds (by a hash of the id) ──► marginBits × transitions × invariants × rareShare grid,
//        │           each fold scored against the other four, chosen by the F1 of all folds pooled
//        │ train ──► reference (normal sessions only, or all of them) ──► fitSessions
//        ▼
//   test ──► scoreSession ──► flagged (score ≥ 0.5) ──► precision, recall, F1
//   test ──► grouped by exact template sequence ──► ceiling: the best F1 that any function of the
//            sequence could reach, computed WITH the test labels (a bound, not a result)
//
// Labels: with reference 'normal' (the default) the labels of train are used for one thing only,
// to leave its anomalous sessions out of the reference (and to pick the parameters by
// cross-validation inside train); with 'all' the reference is every train session, labels unused but for
// picking the parameters. Test labels are read only to count the figures.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fitSessions, scoreSession, sessionProfile, SESSION_PARAMS, type SessionParams } from '../../../workers/detectors/sessions.js';
import { detectionFigures, type DetectionFigures } from './metrics.js';
import { splitLines } from './logs.js';

export interface LabelledSession {
  id: string;
  anomalous: boolean;
  split: 'train' | 'test';
  seq: string[];
}

const SPLIT_COLUMNS = ['deeploglizersplit', 'split'];

/** sessions.csv → sessions. Needs columns BlockId (or SessionId), Label, a split column, TemplateSequence. */
export function parseSessionsCsv(text: string, what: string): LabelledSession[] {
  const rows = splitLines(text);
  const header = (rows[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = (names: string[], label: string): number => {
    const k = header.findIndex((h) => names.includes(h));
    if (k < 0) throw new TypeError(`${what}: no ${label} column in the header (${rows[0] ?? ''})`);
    return k;
  };
  const idCol = col(['blockid', 'sessionid', 'id'], 'BlockId');
  const labelCol = col(['label'], 'Label');
  const splitCol = col(SPLIT_COLUMNS, 'split (DeepLoglizerSplit or Split)');
  const seqCol = col(['templatesequence', 'eventsequence'], 'TemplateSequence');
  const out: LabelledSession[] = [];
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r].split(',');
    const label = (cells[labelCol] ?? '').trim().toLowerCase();
    const split = (cells[splitCol] ?? '').trim().toLowerCase();
    if (label !== '0' && label !== '1' && label !== 'normal' && label !== 'anomaly') throw new TypeError(`${what} line ${r + 1}: unknown label ${JSON.stringify(cells[labelCol])}`);
    if (split !== 'train' && split !== 'test') throw new TypeError(`${what} line ${r + 1}: split ${JSON.stringify(cells[splitCol])} is neither train nor test`);
    const seq = (cells[seqCol] ?? '').trim().split(/\s+/).filter((t) => t !== '');
    out.push({ id: (cells[idCol] ?? '').trim(), anomalous: label === '1' || label === 'anomaly', split, seq });
  }
  return out;
}

export type ReferenceRule = 'normal' | 'all';

/** A session's cross-validation fold (0..4): a hash of its id, so it is stable and blind to labels. */
export const foldOf = (id: string): number => createHash('sha256').update(id).digest()[0] % 5;
/** The first fold (kept for callers that want one validation fifth). */
export const inValidation = (id: string): boolean => foldOf(id) === 0;

export interface SessionsFigures extends DetectionFigures {
  reference: ReferenceRule;
  reference_sessions: number;
  params: { marginBits: number; transitions: boolean; invariantConf: number; rareShare: number };
  validation: { f1: number | null; sessions: number };
  /** Test anomalies whose template sequence is the same as a normal train session's: no sequence detector can tell them apart. */
  indistinguishable: number;
  seconds: number;
}

export const MARGIN_GRID: readonly number[] = [8, 16, 24, 32, 48, 64, 96];
/** 0: no invariants. */
export const INVARIANT_GRID: readonly number[] = [0, 0.9, 0.95, 0.98];
/** 0: off; 1e-9: only templates no reference session holds. */
export const RARE_GRID: readonly number[] = [0, 1e-9, 0.001, 0.003];

function flaggedOf(ref: readonly LabelledSession[], scored: readonly LabelledSession[], params: SessionParams): number[] {
  const model = fitSessions(ref.map((s) => s.seq), params);
  const out: number[] = [];
  scored.forEach((s, i) => {
    if (scoreSession(model, s.seq, params).score >= 0.5) out.push(i);
  });
  return out;
}

type Choice = { marginBits: number; transitions: boolean; invariantConf: number; rareShare: number; f1: number };

/**
 * The grid by five-fold cross-validation inside train: each fold is scored against a reference
 * fitted on the other four (`keep` of them), and a candidate's F1 is that of all folds pooled.
 * The reference does not depend on the four parameters, so each fold's is fitted once; each
 * session is scored once per (invariantConf, rareShare) with everything on,
 * and marginBits and transitions are applied to its parts: score ≥ 0.5 exactly when excess ≥
 * marginBits or any novel transition (when on), broken invariant or rare template (scoreSession).
 * Ties go to the first tried: invariants and rarity off before on, transitions off before on,
 * the smallest margin first.
 */
function chooseParams(train: readonly LabelledSession[], keep: (s: LabelledSession) => boolean): Choice {
  const folds = [0, 1, 2, 3, 4].map((k) => ({
    model: fitSessions(train.filter((s) => foldOf(s.id) !== k && keep(s)).map((s) => s.seq), SESSION_PARAMS),
    val: train.filter((s) => foldOf(s.id) === k),
  }));
  const val = folds.flatMap((f) => f.val);
  const truth = truthOf(val);
  let best: Choice | null = null;
  for (const invariantConf of INVARIANT_GRID) {
    for (const rareShare of RARE_GRID) {
      const P = { ...SESSION_PARAMS, transitions: true, invariantConf, rareShare };
      const parts = folds.flatMap((f) => f.val.map((s) => scoreSession(f.model, s.seq, P)));
      for (const transitions of [false, true]) {
        for (const marginBits of MARGIN_GRID) {
          const flagged: number[] = [];
          parts.forEach((p, i) => {
            if (p.excessBits >= marginBits || (transitions && p.novelTransitions.length > 0) || p.brokenInvariants.length > 0 || p.rareTemplates.length > 0) flagged.push(i);
          });
          const f1 = detectionFigures(flagged, truth, val.length).f1 ?? 0;
          if (best === null || f1 > best.f1) best = { marginBits, transitions, invariantConf, rareShare, f1 };
        }
      }
    }
  }
  return best as Choice;
}

export interface SessionsCeiling {
  /** The best F1 any function of the exact template sequence reaches on test (flagging whole groups of equal sequences). */
  f1: number;
  /** …flagging only groups without a normal session (no false alarm). */
  f1_no_false_alarms: number;
  /** The same two for any function of the template counts. */
  counts_f1: number;
  counts_f1_no_false_alarms: number;
}

/** Best F1 over sets of groups, groups taken in order of purity (optimal for F1 up to ties between equally pure groups). */
function ceilingOf(test: readonly LabelledSession[], keyOf: (seq: readonly string[]) => string): [number, number] {
  const groups = new Map<string, [number, number]>();
  for (const s of test) {
    const k = keyOf(s.seq);
    const g = groups.get(k) ?? [0, 0];
    g[s.anomalous ? 1 : 0]++;
    groups.set(k, g);
  }
  const positives = test.filter((s) => s.anomalous).length;
  const f1 = (tp: number, fp: number): number => (tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + (positives - tp)));
  const purity = (g: [number, number]): number => g[1] / (g[0] + g[1]);
  const ordered = [...groups.values()].filter((g) => g[1] > 0).sort((a, b) => purity(b) - purity(a));
  let tp = 0;
  let fp = 0;
  let best = 0;
  let clean = 0;
  for (const [n, a] of ordered) {
    tp += a;
    fp += n;
    best = Math.max(best, f1(tp, fp));
    if (fp === 0) clean = f1(tp, 0);
  }
  return [best, clean];
}

export function sessionsCeiling(test: readonly LabelledSession[]): SessionsCeiling {
  const [f1, f1Clean] = ceilingOf(test, (seq) => seq.join(' '));
  const [cf1, cf1Clean] = ceilingOf(test, sessionProfile);
  return { f1, f1_no_false_alarms: f1Clean, counts_f1: cf1, counts_f1_no_false_alarms: cf1Clean };
}

const truthOf = (xs: readonly LabelledSession[]): number[] => xs.flatMap((s, i) => (s.anomalous ? [i] : []));

export function evalSessionsRule(all: readonly LabelledSession[], rule: ReferenceRule): SessionsFigures {
  const t0 = performance.now();
  const train = all.filter((s) => s.split === 'train');
  const test = all.filter((s) => s.split === 'test');
  if (train.length === 0 || test.length === 0) throw new TypeError(`sessions.csv needs both train and test sessions (train ${train.length}, test ${test.length})`);
  const keep = (s: LabelledSession): boolean => rule === 'all' || !s.anomalous;
  const chosen = chooseParams(train, keep);
  const params = { ...SESSION_PARAMS, marginBits: chosen.marginBits, transitions: chosen.transitions, invariantConf: chosen.invariantConf, rareShare: chosen.rareShare };
  const ref = train.filter(keep);
  const figures = detectionFigures(flaggedOf(ref, test, params), truthOf(test), test.length);
  const normalSeqs = new Set(train.filter((s) => !s.anomalous).map((s) => s.seq.join(' ')));
  const indistinguishable = test.filter((s) => s.anomalous && normalSeqs.has(s.seq.join(' '))).length;
  return {
    ...figures,
    reference: rule,
    reference_sessions: ref.length,
    params: { marginBits: chosen.marginBits, transitions: chosen.transitions, invariantConf: chosen.invariantConf, rareShare: chosen.rareShare },
    validation: { f1: chosen.f1, sessions: train.length },
    indistinguishable,
    seconds: (performance.now() - t0) / 1000,
  };
}

export interface SessionsReport {
  normal: SessionsFigures;
  all: SessionsFigures;
  /** Profiles (template counts) of test anomalies also seen in normal train sessions. */
  same_counts_as_normal: number;
  ceiling: SessionsCeiling;
  /** The engine's own parameters (SESSION_PARAMS, nothing chosen here), reference = all train sessions. */
  engine: DetectionFigures;
}

export function evalSessions(opts: { data: string }): SessionsReport {
  const dir = opts.data;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TypeError(`--data ${dir}: no such directory`);
  const file = join(dir, 'sessions.csv');
  if (!existsSync(file)) throw new TypeError(`--data ${dir}: sessions.csv is missing (BlockId,Label,DeepLoglizerSplit,…,TemplateSequence)`);
  const all = parseSessionsCsv(readFileSync(file, 'utf8'), file);
  const test = all.filter((s) => s.split === 'test');
  const normalProfiles = new Set(all.filter((s) => s.split === 'train' && !s.anomalous).map((s) => sessionProfile(s.seq)));
  return {
    normal: evalSessionsRule(all, 'normal'),
    all: evalSessionsRule(all, 'all'),
    same_counts_as_normal: all.filter((s) => s.split === 'test' && s.anomalous && normalProfiles.has(sessionProfile(s.seq))).length,
    ceiling: sessionsCeiling(test),
    engine: detectionFigures(flaggedOf(all.filter((s) => s.split === 'train'), test, SESSION_PARAMS), truthOf(test), test.length),
  };
}
