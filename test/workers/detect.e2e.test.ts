// Detection quality: the demo log, synthetic metrics, and real labelled logs (Loghub BGL_2k,
// Thunderbird_2k). The floors asserted are the figures measured when these were written
// (see the report in the commit); they only move up.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { prng, syntheticLog } from '../../src/tools/demo/synthetic.js';
import { prf, runStream, textEvents, valueEvents } from './helpers.js';

const datasets = join(packageRoot, '..', 'shared', 'datasets');
const bglPath = join(datasets, 'logs', 'BGL', 'BGL_2k.log');
const tbPath = join(datasets, 'logs', 'Thunderbird', 'Thunderbird_2k.log');
const hdfsPath = join(datasets, 'logs', 'HDFS', 'HDFS_2k.log');
const hdfsLabels = join(datasets, 'logs', 'HDFS', 'HDFS_2k_line_labels.csv');
const unlabeledDir = join(datasets, 'logs', 'unlabeled');

/** Loghub line → [label, text without the label token]. */
function splitLabel(line: string): [string, string] {
  const sp = line.indexOf(' ');
  return sp < 0 ? [line, ''] : [line.slice(0, sp), line.slice(sp + 1)];
}

function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
}

describe('text detector on the demo log', () => {
  it('finds the injected lines with few false alarms (10,000 lines, 30 injected)', () => {
    const { lines, anomalous } = syntheticLog({ lines: 10_000, anomalies: 30 });
    const { findings } = runStream('logs', textEvents(lines), 500);
    const m = prf(new Set(findings.map((f) => f.index)), new Set(anomalous), lines.length);
    const faRate = m.fp / (lines.length - anomalous.length);
    console.log(`demo log: recall ${m.recall.toFixed(3)} (${m.tp}/${anomalous.length}), false alarms ${m.fp} (${(faRate * 100).toFixed(3)}%)`);
    // Measured: recall 1.000, 0 false alarms.
    expect(m.recall).toBeGreaterThanOrEqual(0.95);
    expect(faRate).toBeLessThanOrEqual(0.001);
  });

  it('other seeds too', () => {
    for (const seed of [1, 2, 3]) {
      const { lines, anomalous } = syntheticLog({ lines: 5000, anomalies: 20, seed });
      const { findings } = runStream('logs', textEvents(lines), 250);
      const m = prf(new Set(findings.map((f) => f.index)), new Set(anomalous), lines.length);
      expect(m.recall).toBeGreaterThanOrEqual(0.9);
      expect(m.fp).toBeLessThanOrEqual(5);
    }
  });

  it('a recurring new pattern is accepted into the baseline and the explanation says so', () => {
    const { lines } = syntheticLog({ lines: 3000, anomalies: 0, seed: 5 });
    const odd = 'kernel: Out of memory: Killed process 4121 (node) total-vm:8123456kB, anon-rss:7900123kB';
    for (let i = 1000; i < 3000; i += 100) lines[i] = odd;
    const { findings } = runStream('logs', textEvents(lines), 100);
    const onOdd = findings.filter((f) => lines[f.index] === odd);
    expect(onOdd.length).toBeGreaterThanOrEqual(3);
    const last = onOdd[onOdd.length - 1];
    expect(last.details.admitted).toBe(true);
    expect(last.explanation).toMatch(/accepted into the baseline/);
    // Once admitted, later occurrences are normal.
    expect(findings.some((f) => f.index > last.index && lines[f.index] === odd)).toBe(false);
  });
});

describe('numeric detector on synthetic metrics', () => {
  const r = prng(7);
  const gauss = (): number => {
    let s = 0;
    for (let i = 0; i < 6; i++) s += r();
    return (s - 3) * Math.SQRT2;
  };
  const xs: number[] = [];
  for (let i = 0; i < 3000; i++) xs.push(10 + 5 * Math.sin((2 * Math.PI * i) / 200) + 0.5 * gauss() + (i >= 2000 ? 8 : 0) + (i >= 2500 && i < 2700 ? 2.5 * gauss() : 0));
  const spikes = [500, 1200, 1700];
  for (const i of spikes) xs[i] += 12;
  xs[900] -= 12;

  const { findings } = runStream('metrics', valueEvents(xs), 128);

  // Findings come from the row likelihood NAB scores (not, as before, from the spike / CUSUM /
  // variance thresholds, which found all four spikes, the shift at 2000-2005 and the variance
  // change within 20 points here). The likelihood judges each feature against this stream's own
  // recent episodes (empirical tails), so on 3,000 points with five events: the first spike
  // up and the first spike down are found at their index, the variance change inside its span;
  // later spikes of the same size (1200, 1700) and the +8 shift (2.5 mean absolute deviations
  // on a ±5 sine, right after four point episodes) score 0.2-0.26, below the 0.5 threshold.
  it('flags the first spike up and the first spike down at their index, and the variance change inside its span', () => {
    expect(findings.some((f) => f.index === 500 && f.details.kind === 'spike')).toBe(true);
    expect(findings.some((f) => f.index === 900 && f.details.kind === 'new_extreme')).toBe(true);
    expect(findings.some((f) => f.index >= 2500 && f.index < 2700)).toBe(true);
  });

  it('raises nothing else on the noisy sine (seasonal swing is not an anomaly)', () => {
    const expected = (i: number): boolean => spikes.includes(i) || i === 900 || (i >= 2000 && i <= 2005) || (i >= 2495 && i <= 2705);
    const stray = findings.filter((f) => !expected(f.index));
    console.log(`metrics: ${findings.length} findings (${findings.map((f) => `${f.index} ${f.details.kind}`).join(', ')}), ${stray.length} outside the injected events`);
    expect(stray).toEqual([]);
  });

  it('explanations carry the numbers and scores stay in [0.5, 1]', () => {
    for (const f of findings) {
      expect(f.score).toBeGreaterThanOrEqual(0.5);
      expect(f.score).toBeLessThanOrEqual(1);
      expect(f.explanation).toMatch(/\d/);
    }
  });
});

describe('text detector on real labelled logs (Loghub)', () => {
  it.skipIf(!existsSync(bglPath))(`BGL_2k per-line precision/recall/F1${existsSync(bglPath) ? '' : ` (skipped: ${bglPath} absent)`}`, () => {
    const rows = readLines(bglPath).map(splitLabel);
    const truth = new Set<number>();
    rows.forEach(([label], i) => {
      if (label !== '-') truth.add(i);
    });
    const { findings } = runStream('logs', textEvents(rows.map(([, text]) => text)), 100);
    const m = prf(new Set(findings.map((f) => f.index)), truth, rows.length);
    console.log(`BGL_2k: precision ${m.precision.toFixed(3)} recall ${m.recall.toFixed(3)} F1 ${m.f1.toFixed(3)} (tp ${m.tp}, fp ${m.fp}, fn ${m.fn}; issue 3 target F1 >= 0.6)`);
    expect(truth.size).toBe(143);
    expect(m.f1).toBeGreaterThanOrEqual(F1_FLOOR);
    // Real data exercises every path (quarantine, admission, eviction): batch-split invariance.
    const texts = textEvents(rows.map(([, text]) => text));
    expect(runStream('logs', texts, 2000).findings).toEqual(findings);
    expect(runStream('logs', texts, 7).findings).toEqual(findings);
  });

  it.skipIf(!existsSync(tbPath))(`Thunderbird_2k false alarms per 1000 lines${existsSync(tbPath) ? '' : ` (skipped: ${tbPath} absent)`}`, () => {
    const lines = readLines(tbPath).map((l) => (l.startsWith('- ') ? l.slice(2) : l));
    const { findings } = runStream('logs', textEvents(lines), 100);
    const per1000 = (findings.length / lines.length) * 1000;
    console.log(`Thunderbird_2k: ${findings.length} false alarms in ${lines.length} lines = ${per1000.toFixed(2)} per 1000 (issue 3 target <= 1)`);
    expect(per1000).toBeLessThanOrEqual(TB_CEILING);
  });

  it.skipIf(!existsSync(hdfsPath))(`HDFS_2k per-line precision/recall/F1${existsSync(hdfsPath) ? '' : ` (skipped: ${hdfsPath} absent)`}`, () => {
    const lines = readLines(hdfsPath);
    const truth = new Set<number>();
    readLines(hdfsLabels)
      .slice(1)
      .forEach((row, i) => {
        if (row.split(',')[1] === '1') truth.add(i);
      });
    const { findings } = runStream('logs', textEvents(lines), 100);
    const m = prf(new Set(findings.map((f) => f.index)), truth, lines.length);
    // HDFS anomalies are block sessions (line labels derived from block labels): their lines
    // are mostly ordinary templates, which per-line novelty cannot see. Measured F1 0.080 (fp 2).
    console.log(`HDFS_2k: precision ${m.precision.toFixed(3)} recall ${m.recall.toFixed(3)} F1 ${m.f1.toFixed(3)} (tp ${m.tp}, fp ${m.fp}, fn ${m.fn})`);
    expect(truth.size).toBe(70);
    expect(m.fp).toBeLessThanOrEqual(2);
  });

  it.skipIf(!existsSync(unlabeledDir))(`findings per 1000 lines on the unlabeled Loghub logs${existsSync(unlabeledDir) ? '' : ` (skipped: ${unlabeledDir} absent)`}`, () => {
    const files = readdirSync(unlabeledDir).filter((f) => f.endsWith('.log')).sort();
    let total = 0;
    let lines = 0;
    const per: string[] = [];
    for (const f of files) {
      const ls = readLines(join(unlabeledDir, f));
      const { findings } = runStream('logs', textEvents(ls), 100);
      total += findings.length;
      lines += ls.length;
      per.push(`${f.replace('_2k.log', '')} ${((findings.length / ls.length) * 1000).toFixed(1)}`);
    }
    // Unlabelled: not all of these are false alarms (HPC and OpenSSH hold real failures and
    // break-in attempts), but they bound the alert volume. Measured 22.5 per 1000 overall; 22.54
    // since a regular stream warms up with 4 null costs (text.ts warmupNullRegular, issue 11):
    // Apache's 12 `[error] jk2_init() Can't find child N in scoreboard` lines (a rare error that
    // recurs in bursts), never scored before because Apache never filled its null; 22.46 with the
    // benign novelty of many-valued slots (slots.ts, Proxifier -2 lines); 21.58 once a slot whose
    // sightings were mostly new values is id-like from 3 sightings (Proxifier -17, Mac -4); 21.625
    // (519 lines) on main with both branches' underscore-bounded hex ids (logs5's form: an
    // underscore after the run bounds it too), one line more than bgl5 alone; 21.67 (520) with
    // branch k8s4's numbers on a log(x + unit) scale judged against each context slot alone too
    // (OpenStack +2: a `time: 0.69` 2.6× its tenant's typical 0.26, robust z 7.7 and 9.8).
    console.log(`unlabeled Loghub: ${((total / lines) * 1000).toFixed(1)} findings per 1000 lines (${per.join(', ')})`);
    expect((total / lines) * 1000).toBeLessThanOrEqual(21.7);
  });
});

// Measured floors (raise as the detector improves). With rarity by decayed frequency (branch
// rarity3, text.ts #recur): BGL_2k precision 0.498, recall 0.979, F1 0.660 (tp 140, fp 141: one
// more novel KERNEL INFO line, at the floor); unlabeled 21.5 per 1000 (515 lines); HDFS_2k tp 4,
// fp 2; Thunderbird 2. With the Good-Turing id-like slot (a slot whose
// sightings mostly brought a new value, from 3 sightings; slots.ts, branch bgl5): BGL_2k precision
// 0.500, recall 0.979, F1 0.662 (tp 140, fp 140); unlabeled 21.58 per 1000. With a known template's new value of an
// id-like slot as benign novelty (workers/detectors/slots.ts, 2026-12-05): BGL_2k precision
// 0.471, recall 0.979, F1 0.636 (tp 140, fp 157); unlabeled 22.0 per 1000 (21.96). Before it, with
// TEXT_PARAMS as committed: BGL_2k
// precision 0.446, recall 0.972, F1 0.611 (tp 139, fp 173); Thunderbird_2k 2 false alarms in
// 2000 lines (1.0 per 1000: the first ganglia RRD_update error, the kernel command line at boot);
// HDFS_2k fp 2; unlabeled 22.5 per 1000. Before mildRecurrenceWeight and severityBoostWord: BGL
// F1 0.597 (fp 184), Thunderbird 5 (the two RRD_update recurrences and sshd "error: Bind … failed"
// are the three removed), HDFS fp 4, unlabeled 27.6 per 1000.
// Sensitivity, one parameter changed at a time (bench/detect-sweep.ts; demo recall over four seeds):
//   mildRecurrenceWeight 0.65: 0.6 and 0.7 identical on BGL/Thunderbird; 0.55 → demo 69/80
//     (the demo's repeated WARN/binary injections are folded); 0.5 → demo 66/80; 0.75 → BGL
//     F1 0.606; 0.8 → 0.603; 0.9 → 0.602 and Thunderbird 4; 1 (off) → 0.597 and 4 (3 with the
//     old word prior).
//   severityBoostWord 2: 1, 1.5 and 2.5 identical on BGL/Thunderbird/demo (unlabeled 499, 507,
//     617 findings vs 539); 3 (= severityBoost, the old rule) → Thunderbird 3 (sshd back).
// Thunderbird sits exactly on the target (2 lines = 1.0 per 1000): no margin.
// Unchanged cliffs of the earlier parameters (BGL recall hinges on catching the first line of
// the 60-line "data TLB error interrupt" burst at line 104): warm-up 150 → F1 0.242, 50 →
// Thunderbird 31; severityBoost 2 → F1 0.262, 4 → 0.584; zHalf 9 → 0.245, 7 → 0.600 but
// Thunderbird 6; admitCount 2 → F1 0.615 but demo 74/80, 4 → demo 79/80; admitCountSevere 4 →
// 0.607, 6 → 0.614; baseline 8 KiB → 0.585, 32 KiB → 0.619; minExcessBits 40/56 identical.
const F1_FLOOR = 0.66;
const TB_CEILING = 1.0;
