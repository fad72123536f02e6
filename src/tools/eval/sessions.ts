// `driftwatch eval sessions`: the sequence detector on sessions already grouped by entity
// (Loghub's HDFS block sessions), fitted on the train split, reported on the test split.
//
//   DIR/sessions.csv  BlockId,Label,<split column>,…,TemplateSequence ("T5 T1 T1 …")
//        │ train ──► a validation fifth (by a hash of the id) ──► marginBits × transitions × invariants grid
//        │           fitted on the other four fifths, chosen by validation F1
//        │ train ──► reference (normal sessions only, or all of them) ──► fitSessions
//        ▼
//   test ──► scoreSession ──► flagged (score ≥ 0.5) ──► precision, recall, F1
//
// Labels: with reference 'normal' (the default) the labels of train are used for one thing only,
// to leave its anomalous sessions out of the reference (and to pick the two parameters on the
// validation fifth); with 'all' the reference is every train session, labels unused but for
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

/** The validation fifth of train: chosen by a hash of the session id, so it is stable and blind to labels. */
export const inValidation = (id: string): boolean => createHash('sha256').update(id).digest()[0] % 5 === 0;

export interface SessionsFigures extends DetectionFigures {
  reference: ReferenceRule;
  reference_sessions: number;
  params: { marginBits: number; transitions: boolean; invariantConf: number };
  validation: { f1: number | null; sessions: number };
  /** Test anomalies whose template sequence is the same as a normal train session's: no sequence detector can tell them apart. */
  indistinguishable: number;
  seconds: number;
}

export const MARGIN_GRID: readonly number[] = [8, 16, 24, 32, 48, 64, 96];
/** 0: no invariants. */
export const INVARIANT_GRID: readonly number[] = [0, 0.9, 0.95, 0.98];

function flaggedOf(ref: readonly LabelledSession[], scored: readonly LabelledSession[], params: SessionParams): number[] {
  const model = fitSessions(ref.map((s) => s.seq), params);
  const out: number[] = [];
  scored.forEach((s, i) => {
    if (scoreSession(model, s.seq, params).score >= 0.5) out.push(i);
  });
  return out;
}

const truthOf = (xs: readonly LabelledSession[]): number[] => xs.flatMap((s, i) => (s.anomalous ? [i] : []));

export function evalSessionsRule(all: readonly LabelledSession[], rule: ReferenceRule): SessionsFigures {
  const t0 = performance.now();
  const train = all.filter((s) => s.split === 'train');
  const test = all.filter((s) => s.split === 'test');
  if (train.length === 0 || test.length === 0) throw new TypeError(`sessions.csv needs both train and test sessions (train ${train.length}, test ${test.length})`);
  const keep = (s: LabelledSession): boolean => rule === 'all' || !s.anomalous;
  const fit = train.filter((s) => !inValidation(s.id));
  const val = train.filter((s) => inValidation(s.id));
  // Ties go to the first tried: invariants off before on, transitions off before on, the smallest margin first.
  type Choice = { marginBits: number; transitions: boolean; invariantConf: number; f1: number };
  let best: Choice | null = null;
  for (const invariantConf of INVARIANT_GRID) {
    for (const transitions of [false, true]) {
      for (const marginBits of MARGIN_GRID) {
        const params = { ...SESSION_PARAMS, marginBits, transitions, invariantConf };
        const f = detectionFigures(flaggedOf(fit.filter(keep), val, params), truthOf(val), val.length);
        const f1 = f.f1 ?? 0;
        if (best === null || f1 > best.f1) best = { marginBits, transitions, invariantConf, f1 };
      }
    }
  }
  const chosen = best as Choice;
  const params = { ...SESSION_PARAMS, marginBits: chosen.marginBits, transitions: chosen.transitions, invariantConf: chosen.invariantConf };
  const ref = train.filter(keep);
  const figures = detectionFigures(flaggedOf(ref, test, params), truthOf(test), test.length);
  const normalSeqs = new Set(train.filter((s) => !s.anomalous).map((s) => s.seq.join(' ')));
  const indistinguishable = test.filter((s) => s.anomalous && normalSeqs.has(s.seq.join(' '))).length;
  return {
    ...figures,
    reference: rule,
    reference_sessions: ref.length,
    params: { marginBits: chosen.marginBits, transitions: chosen.transitions, invariantConf: chosen.invariantConf },
    validation: { f1: chosen.f1, sessions: val.length },
    indistinguishable,
    seconds: (performance.now() - t0) / 1000,
  };
}

export interface SessionsReport {
  normal: SessionsFigures;
  all: SessionsFigures;
  /** Profiles (template counts) of test anomalies also seen in normal train sessions. */
  same_counts_as_normal: number;
}

export function evalSessions(opts: { data: string }): SessionsReport {
  const dir = opts.data;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TypeError(`--data ${dir}: no such directory`);
  const file = join(dir, 'sessions.csv');
  if (!existsSync(file)) throw new TypeError(`--data ${dir}: sessions.csv is missing (BlockId,Label,DeepLoglizerSplit,…,TemplateSequence)`);
  const all = parseSessionsCsv(readFileSync(file, 'utf8'), file);
  const normalProfiles = new Set(all.filter((s) => s.split === 'train' && !s.anomalous).map((s) => sessionProfile(s.seq)));
  return {
    normal: evalSessionsRule(all, 'normal'),
    all: evalSessionsRule(all, 'all'),
    same_counts_as_normal: all.filter((s) => s.split === 'test' && s.anomalous && normalProfiles.has(sessionProfile(s.seq))).length,
  };
}
