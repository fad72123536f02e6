// `driftwatch eval logs`: per-line figures on Loghub samples, each log one `logs` stream.
//
//   DIR/BGL/BGL_2k.log                 first token: `-` normal, else alert ─┐
//   DIR/HDFS/HDFS_2k.log + HDFS_2k_line_labels.csv (LineId, Label)        ├─► lines in order ──► runStream('logs', batches of 100)
//   DIR/Thunderbird/Thunderbird_2k.log first token stripped (all normal)   │        │ flagged lines
//   DIR/unlabeled/*.log                unlabelled: false alarms only     ─┘        ▼
//                                                               detectionFigures() per data set
// Event times: each line's own timestamp (logtime.ts: the format each log has), or with
// `time: 'spaced'` line i at base + i ms (what `eval logs` did before: rate and silence never engage).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { detectionFigures, type DetectionFigures } from './metrics.js';
import { logTimes, spacedTimes } from './logtime.js';
import { DEFAULT_BATCH, runStream } from './run.js';

/** Splits on CRLF or LF; a trailing empty line (final newline) is dropped. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Loghub's labelled format: the first token is the label (`-` = normal). Returns texts without it and the alert indices. */
export function splitLabelToken(lines: readonly string[]): { texts: string[]; alerts: number[] } {
  const texts: string[] = [];
  const alerts: number[] = [];
  lines.forEach((line, i) => {
    const sp = line.indexOf(' ');
    const label = sp < 0 ? line : line.slice(0, sp);
    texts.push(sp < 0 ? '' : line.slice(sp + 1));
    if (label !== '-') alerts.push(i);
  });
  return { texts, alerts };
}

/**
 * A line-label CSV: the header names the columns. The label column is `Label` (1/0,
 * Anomaly/Normal, true/false); the line column `LineId` (1-based) if present, else row order.
 */
export function parseLineLabels(text: string, lines: number, what: string): number[] {
  const rows = splitLines(text);
  const header = (rows[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const li = header.indexOf('label');
  const id = header.indexOf('lineid');
  if (li < 0) throw new TypeError(`${what}: no Label column in the header (${rows[0] ?? ''})`);
  const out: number[] = [];
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r].split(',');
    const label = (cells[li] ?? '').trim().toLowerCase();
    let anomalous: boolean;
    if (label === '1' || label === 'anomaly' || label === 'abnormal' || label === 'true') anomalous = true;
    else if (label === '0' || label === 'normal' || label === 'false' || label === '-') anomalous = false;
    else throw new TypeError(`${what} line ${r + 1}: unknown label ${JSON.stringify(cells[li])}`);
    const index = id >= 0 ? Number(cells[id]) - 1 : r - 1;
    if (!Number.isInteger(index) || index < 0 || index >= lines) throw new TypeError(`${what} line ${r + 1}: line ${index + 1} is outside the log (${lines} lines)`);
    if (anomalous) out.push(index);
  }
  return out;
}

export interface LogsDataset extends DetectionFigures {
  name: string;
  labelled: boolean;
  seconds: number;
  /** How the lines were stamped (their own timestamps' format, or the i ms spacing). */
  time: string;
  /** Labelled logs: the figures with the first `lines` lines left out of the scoring (warm-up). */
  warmup: { lines: number; f1: number | null; fp: number }[];
}

/** Warm-ups reported beside the whole log's figures (lines scored from this index on). */
export const WARMUPS = [100, 150, 200, 300];

export interface LogsReport {
  datasets: LogsDataset[];
  /** Files the layout names that were not found. */
  missing: string[];
}

export interface LogsOptions {
  data: string;
  batch?: number;
  /** 'own' (default): each line's own timestamp; 'spaced': line i at base + i ms. */
  time?: 'own' | 'spaced';
  progress?: (done: number, total: number, name: string) => void;
}

interface Job {
  name: string;
  labelled: boolean;
  load: () => { texts: string[]; truth: number[] };
}

export function evalLogs(opts: LogsOptions): LogsReport {
  const dir = opts.data;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TypeError(`--data ${dir}: no such directory`);
  const read = (rel: string): string[] => splitLines(readFileSync(join(dir, rel), 'utf8'));
  const jobs: Job[] = [];
  const missing: string[] = [];
  const want = (rel: string, job: Job): void => {
    if (existsSync(join(dir, rel))) jobs.push(job);
    else missing.push(rel);
  };
  want('BGL/BGL_2k.log', { name: 'BGL_2k', labelled: true, load: () => { const s = splitLabelToken(read('BGL/BGL_2k.log')); return { texts: s.texts, truth: s.alerts }; } });
  want('HDFS/HDFS_2k.log', {
    name: 'HDFS_2k',
    labelled: true,
    load: () => {
      const texts = read('HDFS/HDFS_2k.log');
      const labels = 'HDFS/HDFS_2k_line_labels.csv';
      if (!existsSync(join(dir, labels))) throw new TypeError(`--data ${dir}: ${labels} is missing (HDFS_2k's per-line labels)`);
      return { texts, truth: parseLineLabels(readFileSync(join(dir, labels), 'utf8'), texts.length, labels) };
    },
  });
  // Thunderbird_2k's label tokens are all `-` here; any alert label would be counted as truth.
  want('Thunderbird/Thunderbird_2k.log', { name: 'Thunderbird_2k', labelled: true, load: () => { const s = splitLabelToken(read('Thunderbird/Thunderbird_2k.log')); return { texts: s.texts, truth: s.alerts }; } });
  const un = join(dir, 'unlabeled');
  if (existsSync(un)) {
    for (const f of readdirSync(un).filter((x) => x.endsWith('.log')).sort()) {
      jobs.push({ name: `unlabeled/${f.replace(/\.log$/, '')}`, labelled: false, load: () => ({ texts: read(`unlabeled/${f}`), truth: [] }) });
    }
  } else missing.push('unlabeled/*.log');
  if (jobs.length === 0) throw new TypeError(`--data ${dir}: not a Loghub-layout folder (none of BGL/BGL_2k.log, HDFS/HDFS_2k.log, Thunderbird/Thunderbird_2k.log, unlabeled/*.log)`);

  const datasets: LogsDataset[] = [];
  jobs.forEach((job, k) => {
    opts.progress?.(k + 1, jobs.length, job.name);
    const t0 = performance.now();
    const { texts, truth } = job.load();
    const times = opts.time === 'spaced' ? spacedTimes(texts.length, '--time spaced') : logTimes(texts);
    const run = runStream(job.name, 'logs', texts.map((text, i) => ({ ts: times.ts[i], text })), opts.batch ?? DEFAULT_BATCH);
    const m = detectionFigures(run.flagged, truth, texts.length);
    const labelled = job.labelled && truth.length > 0;
    const warmup = labelled ? WARMUPS.filter((w) => w < texts.length).map((w) => {
      const after = detectionFigures([...run.flagged].filter((i) => i >= w).map((i) => i - w), truth.filter((i) => i >= w).map((i) => i - w), texts.length - w);
      return { lines: w, f1: after.f1, fp: after.fp };
    }) : [];
    datasets.push({ name: job.name, labelled, ...m, seconds: (performance.now() - t0) / 1000, time: times.how, warmup });
  });
  return { datasets, missing };
}
