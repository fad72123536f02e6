// `driftwatch eval nab`: our detector over a directory in NAB's layout, scored by NAB's rules,
// next to the stored results of other detectors on the same files.
//
//   DIR/data/<category>/<file>.csv ──► rows in order ──► runStream('metrics', batches of 100)
//        │                                                   │ per-row score (the detector's rowScores)
//        ▼                                                   ▼
//   DIR/labels/combined_windows.json ─────────────► scoreCorpus() ◄── DIR/config/profiles.json (or NAB's)
//   DIR/results/<det>_scores.tar.gz ──► readTar ──► scoreCorpus()    (baselines, same files)
//   the same rows ──► runStream(engine task: no rowScores, threshold = a stream profile's) ──► findings
//        │            as 0/1 rows ──► scoreCorpus(threshold 0.5)        (engine_findings: what users get)
//   the same row scores ──► locoScore(): each category at the threshold chosen on the other four
//        ▼
//   NabReport{nab: {standard, reward_low_FP_rate, reward_low_FN_rate, files, per_file, engine_findings, loco}, baselines}
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ScoreInput } from '../../../workers/types.js';
import { NAB_PROFILES, parseNabTime, parseProfiles, parseWindows, scoreCorpus, type NabFile, type NabWindows, type ProfileScore, type Profiles } from './nab-scorer.js';
import { DEFAULT_BATCH, runStream } from './run.js';
import { PROFILE_THRESHOLDS, type Profile } from '../../core/tenancy/profiles.js';
import { readTar } from './tar.js';
import { categoryOf, locoScore, type LocoReport } from './nab-loco.js';

/** A NAB CSV: first column the timestamp, `column` (by header name) the number. */
export function parseNabCsv(text: string, column: string, what: string): { ts: number[]; values: number[] } {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const k = header.indexOf(column);
  if (k < 0) throw new TypeError(`${what}: no "${column}" column in the header (${header.join(',')})`);
  const ts: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    const t = parseNabTime(cells[0] ?? '');
    const v = Number(cells[k]);
    if (Number.isNaN(t)) throw new TypeError(`${what} line ${i + 1}: unreadable timestamp ${JSON.stringify(cells[0])}`);
    if (cells[k] === undefined || cells[k].trim() === '' || !Number.isFinite(v)) throw new TypeError(`${what} line ${i + 1}: ${column} ${JSON.stringify(cells[k])} is not a number`);
    ts.push(t);
    values.push(v);
  }
  return { ts, values };
}

/** NAB's results archive (`<det>/<category>/<det>_<file>.csv`, timestamp,anomaly_score) → files named `<category>/<file>.csv`. */
export function nabResultsFromTar(archive: Buffer, detector: string): NabFile[] {
  const out: NabFile[] = [];
  for (const e of readTar(archive)) {
    const m = /^(?:\.\/)?([^/]+)\/([^/]+)\/([^/]+\.csv)$/.exec(e.name);
    if (m === null || m[1] !== detector || !m[3].startsWith(`${detector}_`)) continue;
    const name = `${m[2]}/${m[3].slice(detector.length + 1)}`;
    const { ts, values } = parseNabCsv(e.data.toString('utf8'), 'anomaly_score', e.name);
    out.push({ name, ts, score: values });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `<category>/<file>.csv` under DIR/data, sorted. */
export function listNabFiles(dataDir: string): string[] {
  const out: string[] = [];
  for (const cat of readdirSync(dataDir).sort()) {
    const d = join(dataDir, cat);
    if (!statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d).sort()) if (f.endsWith('.csv')) out.push(`${cat}/${f}`);
  }
  return out;
}

export interface NabProfileFigures {
  standard: number;
  reward_low_FP_rate: number;
  reward_low_FN_rate: number;
}

/** Which stream profile answers which NAB profile (low FP: strict, low FN: sensitive). */
export const NAB_STREAM_PROFILE: Readonly<Record<string, Profile>> = Object.freeze({ standard: 'balanced', reward_low_FP_rate: 'strict', reward_low_FN_rate: 'sensitive' });

/** NAB scored on the engine's findings (a flagged row = 1), with each stream profile's threshold. */
export interface NabEngineFindings {
  /** Each NAB profile scored with the findings of its stream profile (NAB_STREAM_PROFILE). */
  by_profile: NabProfileFigures;
  /** Per stream profile: its task threshold, findings, and all three NAB profiles on them. */
  profiles: Record<string, NabProfileFigures & { threshold: number; findings: number }>;
}

export interface NabReport {
  nab: NabProfileFigures & {
    engine_findings: NabEngineFindings;
    /**
     * Leave one category out: each category scored at the corpus threshold chosen on the other
     * categories (the parameters are the shipped ones: see docs/nab-experiments.md for choices
     * made inside the folds).
     */
    loco: LocoReport | null;
    files: number;
    rows: number;
    findings: number;
    seconds: number;
    thresholds: Record<string, number>;
    per_file: {
      file: string;
      rows: number;
      windows: number;
      findings: number;
      profiles: Record<string, { score: number; tp: number; fp: number; fn: number; windows_detected: number }>;
    }[];
  };
  /** Other detectors' stored results, scored the same way (exhaustive threshold sweep) on the same files. */
  baselines: Record<string, NabProfileFigures & { files: number; thresholds: Record<string, number>; at_stored_thresholds?: Record<string, number> }>;
  notes: string[];
}

export interface NabOptions {
  data: string;
  batch?: number;
  progress?: (done: number, total: number, file: string) => void;
}

const figures = (scores: ProfileScore[]): NabProfileFigures => Object.fromEntries(scores.map((s) => [s.profile, s.normalised])) as unknown as NabProfileFigures;
const normalisedOf = (scores: ProfileScore[]): Record<string, number> => Object.fromEntries(scores.map((s) => [s.profile, s.normalised]));
const thresholdsOf = (scores: ProfileScore[]): Record<string, number> => Object.fromEntries(scores.map((s) => [s.profile, s.threshold]));

/** Validates DIR's layout; a missing piece is a TypeError (the CLI exits 2). */
export function checkNabDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TypeError(`--data ${dir}: no such directory`);
  if (!existsSync(join(dir, 'data'))) throw new TypeError(`--data ${dir}: not in NAB's layout (no data/ folder; expected data/<category>/<file>.csv and labels/combined_windows.json)`);
  if (!existsSync(join(dir, 'labels', 'combined_windows.json'))) throw new TypeError(`--data ${dir}: labels/combined_windows.json is missing (NAB scores against its windows)`);
}

/** A JSON file's content; unreadable or invalid JSON is a TypeError naming the file (the CLI exits 2). */
function readJson(p: string): unknown {
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    throw new TypeError(`${p}: ${(err as Error).message}`);
  }
}

/** DIR's windows, profiles and data files; what does not match is noted. */
function readNabInputs(dir: string, notes: string[]): { windows: NabWindows; profiles: Profiles; names: string[] } {
  const windows: NabWindows = parseWindows(readJson(join(dir, 'labels', 'combined_windows.json')));
  const profilesPath = join(dir, 'config', 'profiles.json');
  const profiles: Profiles = existsSync(profilesPath) ? parseProfiles(readJson(profilesPath)) : { ...NAB_PROFILES };
  if (!existsSync(profilesPath)) notes.push("config/profiles.json absent: NAB's default profiles used");
  const names = listNabFiles(join(dir, 'data'));
  if (names.length === 0) throw new TypeError(`--data ${dir}: no CSV files under data/<category>/`);
  const unlabelled = names.filter((n) => !(n in windows));
  if (unlabelled.length > 0) notes.push(`${unlabelled.length} data file(s) have no entry in combined_windows.json and are scored as having no windows (e.g. ${unlabelled[0]})`);
  const unscored = Object.keys(windows).filter((n) => !names.includes(n));
  if (unscored.length > 0) notes.push(`${unscored.length} labelled file(s) are not under data/ and are left out of the score and its normalisation (e.g. ${unscored[0]})`);
  return { windows, profiles, names };
}

/** The detector over every file: its row scores (files), findings per file, and per stream profile the rows the engine's own task flags. */
function runNabCorpus(dir: string, names: string[], opts: NabOptions): {
  files: NabFile[]; findings: number[]; rows: number; flagged: Record<string, NabFile[]>; flaggedCount: Record<string, number>;
} {
  const files: NabFile[] = [];
  const findings: number[] = [];
  const streamProfiles = Object.keys(PROFILE_THRESHOLDS) as Profile[];
  const flagged: Record<string, NabFile[]> = Object.fromEntries(streamProfiles.map((p) => [p, []]));
  const flaggedCount: Record<string, number> = Object.fromEntries(streamProfiles.map((p) => [p, 0]));
  let rows = 0;
  names.forEach((name, k) => {
    opts.progress?.(k + 1, names.length, name);
    const { ts, values } = parseNabCsv(readFileSync(join(dir, 'data', name), 'utf8'), 'value', name);
    const events: ScoreInput[] = ts.map((t, i) => ({ ts: t, value: values[i] }));
    const batch = opts.batch ?? DEFAULT_BATCH;
    const run = runStream(name, 'metrics', events, batch);
    files.push({ name, ts, score: run.scores });
    findings.push(run.findings);
    rows += ts.length;
    // The engine's own task per stream profile: findings only, at the profile's threshold.
    for (const p of streamProfiles) {
      const eng = runStream(name, 'metrics', events, batch, { rowScores: false, threshold: PROFILE_THRESHOLDS[p] });
      const score = new Float64Array(ts.length);
      for (const i of eng.flagged) score[i] = 1;
      flagged[p].push({ name, ts, score });
      flaggedCount[p] += eng.flagged.size;
    }
  });
  return { files, findings, rows, flagged, flaggedCount };
}

/** The engine's findings per stream profile, scored at a fixed threshold, and by NAB profile (through NAB_STREAM_PROFILE). */
function engineFindingsOf(flagged: Record<string, NabFile[]>, flaggedCount: Record<string, number>, windows: NabWindows, profiles: Profiles): NabEngineFindings {
  const streamProfiles = Object.keys(PROFILE_THRESHOLDS) as Profile[];
  // A flagged row is 1, the rest 0: scored at a fixed threshold (no sweep).
  const half = Object.fromEntries(Object.keys(profiles).map((p) => [p, 0.5]));
  const engineProfiles = Object.fromEntries(streamProfiles.map((p) => [p, { ...figures(scoreCorpus(flagged[p], windows, { profiles, thresholds: half })), threshold: PROFILE_THRESHOLDS[p], findings: flaggedCount[p] }]));
  return {
    by_profile: Object.fromEntries(Object.keys(profiles).map((np) => [np, (engineProfiles[NAB_STREAM_PROFILE[np] ?? 'balanced'] as unknown as Record<string, number>)[np]])) as unknown as NabProfileFigures,
    profiles: engineProfiles,
  };
}

export function evalNab(opts: NabOptions): NabReport {
  const dir = opts.data;
  checkNabDir(dir);
  const notes: string[] = [];
  const { windows, profiles, names } = readNabInputs(dir, notes);

  const t0 = performance.now();
  const { files, findings, rows, flagged, flaggedCount } = runNabCorpus(dir, names, opts);
  const ours = scoreCorpus(files, windows, { profiles });
  const engineFindings = engineFindingsOf(flagged, flaggedCount, windows, profiles);
  const seconds = (performance.now() - t0) / 1000;

  if (new Set(files.map((f) => categoryOf(f.name))).size < 2) notes.push('one category only: no leave-one-category-out score');
  const report: NabReport = {
    nab: {
      ...figures(ours),
      engine_findings: engineFindings,
      loco: new Set(files.map((f) => categoryOf(f.name))).size >= 2 ? locoScore({ shipped: files }, windows, profiles) : null,
      files: files.length,
      rows,
      findings: findings.reduce((a, b) => a + b, 0),
      seconds,
      thresholds: thresholdsOf(ours),
      per_file: files.map((f, i) => ({
        file: f.name,
        rows: f.ts.length,
        windows: (windows[f.name] ?? []).length,
        findings: findings[i],
        profiles: Object.fromEntries(ours.map((p) => {
          const r = p.perFile[i];
          return [p.profile, { score: r.score, tp: r.tp, fp: r.fp, fn: r.fn, windows_detected: r.windowsDetected }];
        })),
      })),
    },
    baselines: {},
    notes,
  };
  scoreBaselines(dir, names, windows, profiles, report);
  return report;
}

/** Other detectors' stored results (results/<detector>_scores.tar.gz), scored as ours on the same files, into report.baselines. */
function scoreBaselines(dir: string, names: string[], windows: NabWindows, profiles: Profiles, report: NabReport): void {
  const notes = report.notes;
  const resultsDir = join(dir, 'results');
  if (existsSync(resultsDir)) {
    const stored = existsSync(join(dir, 'config', 'thresholds.json')) ? (readJson(join(dir, 'config', 'thresholds.json')) as Record<string, Record<string, { threshold?: number }>>) : {};
    for (const f of readdirSync(resultsDir).sort()) {
      const m = /^(.+)_scores\.tar\.gz$/.exec(f);
      if (m === null) continue;
      const det = m[1];
      const all = nabResultsFromTar(readFileSync(join(resultsDir, f)), det);
      const byName = new Map(all.map((x) => [x.name, x]));
      const same = names.map((n) => byName.get(n)).filter((x): x is NabFile => x !== undefined);
      if (same.length < names.length) notes.push(`${det}: stored results for ${same.length} of the ${names.length} data files; scored on those only`);
      if (same.length === 0) continue;
      const swept = scoreCorpus(same, windows, { profiles });
      const entry: NabReport['baselines'][string] = { ...figures(swept), files: same.length, thresholds: thresholdsOf(swept) };
      const th = stored[det];
      if (th !== undefined && Object.keys(profiles).every((p) => typeof th[p]?.threshold === 'number')) {
        const fixed = scoreCorpus(same, windows, { profiles, thresholds: Object.fromEntries(Object.keys(profiles).map((p) => [p, th[p].threshold as number])) });
        entry.at_stored_thresholds = normalisedOf(fixed);
      }
      report.baselines[det] = entry;
    }
  }
}

/** `nab: standard 52.3, reward_low_FP_rate 41.0, reward_low_FN_rate 60.2 (42 files, 12.3 s)` */
export function formatNab(name: string, f: object, profiles: readonly string[], tail: string): string {
  const v = f as Record<string, unknown>;
  return `${name}: ${profiles.map((p) => `${p} ${typeof v[p] === 'number' ? v[p].toFixed(1) : '?'}`).join(', ')} (${tail})`;
}
