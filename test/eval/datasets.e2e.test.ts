// `driftwatch eval nab`, `eval logs` and `eval sessions` on the real benchmark data (../shared/datasets; absent on
// a user's machine: these skip). The NAB baselines the CLI prints must be the figures the
// reference scorer gives (nab-scorer.e2e.test.ts); our own figures are printed, and bounded loosely
// (the detectors are tuned by others; test/workers holds their floors).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';

const datasets = join(packageRoot, '..', 'shared', 'datasets');
const nab = join(datasets, 'nab');
const logs = join(datasets, 'logs');
const cli = join(packageRoot, 'dist', 'bin', 'driftwatch.js');
const tmp = mkdtempSync(join(tmpdir(), 'driftwatch-eval-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const skipped = (p: string): string => (existsSync(p) ? '' : ` (skipped: ${p} absent; the datasets live beside the repository, in ../shared/datasets)`);

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: packageRoot });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('driftwatch eval on ../shared/datasets', () => {
  it.skipIf(!existsSync(nab))(`eval nab: our line, then numenta and random from their stored results${skipped(nab)}`, () => {
    const out = join(tmp, 'nab.json');
    const r = run(['eval', 'nab', '--data', nab, '--json', out]);
    expect(r.status, r.stderr).toBe(0);
    console.log(r.stdout.trim());
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^nab: standard -?\d+\.\d, reward_low_FP_rate -?\d+\.\d, reward_low_FN_rate -?\d+\.\d \(42 files, [\d.]+ s; in-sample: parameters and threshold chosen on these files\)$/);
    // Leave-one-category-out: each category scored at the threshold chosen on the other four.
    expect(lines[1]).toMatch(/^nab leave-one-category-out: standard -?\d+\.\d, reward_low_FP_rate -?\d+\.\d, reward_low_FN_rate -?\d+\.\d \(each of the 5 categories at the threshold chosen on the others\)$/);
    // The engine's own findings (its task: no row scores, a stream profile's threshold) scored as detections.
    expect(lines[2]).toMatch(/^nab engine findings: standard -?\d+\.\d, reward_low_FP_rate -?\d+\.\d, reward_low_FN_rate -?\d+\.\d \(the engine's findings as detections; standard at balanced 0\.5, reward_low_FP_rate at strict 0\.65, reward_low_FN_rate at sensitive 0\.4\)$/);
    // Exhaustive sweep, same as for ours; figures from the reference scorer (nab-scorer.e2e.test.ts).
    expect(lines).toContain('nab numenta (stored results): standard 69.9, reward_low_FP_rate 63.6, reward_low_FN_rate 74.1 (42 files, same scoring)');
    expect(lines).toContain('nab random (stored results): standard 19.5, reward_low_FP_rate 9.1, reward_low_FN_rate 27.9 (42 files, same scoring)');
    expect(r.stderr).toMatch(/eval nab: file 42 of 42 /);
    const j = JSON.parse(readFileSync(out, 'utf8')) as {
      nab: {
        standard: number; reward_low_FP_rate: number; reward_low_FN_rate: number; files: number; findings: number; per_file: { file: string; profiles: Record<string, { tp: number; fp: number; fn: number }> }[];
        engine_findings: { by_profile: Record<string, number>; profiles: Record<string, Record<string, number>> };
      };
      baselines: Record<string, { standard: number; reward_low_FP_rate: number; reward_low_FN_rate: number; at_stored_thresholds: Record<string, number> }>;
    };
    expect(j.nab.files).toBe(42);
    expect(j.nab.per_file).toHaveLength(42);
    expect(lines[0]).toContain(`standard ${j.nab.standard.toFixed(1)},`);
    expect(Math.abs(j.baselines.numenta.standard - 69.88426195605217)).toBeLessThan(1e-9);
    expect(Math.abs(j.baselines.numenta.at_stored_thresholds.standard - 69.72470165185905)).toBeLessThan(1e-9);
    expect(Math.abs(j.baselines.random.standard - 19.53355126689887)).toBeLessThan(1e-9);
    // Ours, from the detector's row scores (rowScores): measured standard 70.4, reward_low_FP_rate
    // 64.2, reward_low_FN_rate 74.5 (61.9 / 45.9 / 69.3 before the empirical tails, 32.5 / 6.3 /
    // 43.4 when only the old findings were scored). Issue 3's target: above Numenta HTM on the
    // same files, here on all three profiles (in-sample: docs/nab-experiments.md).
    expect(j.nab.standard).toBeGreaterThan(j.baselines.numenta.standard);
    expect(j.nab.reward_low_FP_rate).toBeGreaterThan(j.baselines.numenta.reward_low_FP_rate);
    expect(j.nab.reward_low_FN_rate).toBeGreaterThan(j.baselines.numenta.reward_low_FN_rate);
    // The engine's findings are the rows whose score reaches the threshold: at balanced (0.5)
    // they are the findings of the row-score run, and score what the sweep scores at 0.5.
    const ef = j.nab.engine_findings;
    expect(ef.profiles.balanced.threshold).toBe(0.5);
    expect(ef.profiles.balanced.findings).toBe(j.nab.findings);
    expect(ef.by_profile.standard).toBe(ef.profiles.balanced.standard);
    expect(ef.by_profile.reward_low_FP_rate).toBe(ef.profiles.strict.reward_low_FP_rate);
    expect(ef.by_profile.reward_low_FN_rate).toBe(ef.profiles.sensitive.reward_low_FN_rate);
    // Measured: balanced 70.4 / 64.2 / 74.5 on the three NAB profiles; by profile (low FP at
    // strict, low FN at sensitive) 70.4 / 64.0 / 74.1 (Numenta HTM 69.9 / 63.6 / 74.1; the old
    // spike / CUSUM findings gave 32.1 / -1.3 / 40.4).
    expect(ef.profiles.balanced.standard).toBeGreaterThan(j.baselines.numenta.standard);
    expect(ef.profiles.balanced.reward_low_FP_rate).toBeGreaterThan(j.baselines.numenta.reward_low_FP_rate);
    expect(ef.profiles.balanced.reward_low_FN_rate).toBeGreaterThan(j.baselines.numenta.reward_low_FN_rate);
    expect(ef.profiles.sensitive.findings).toBeGreaterThanOrEqual(ef.profiles.balanced.findings);
    expect(ef.profiles.strict.findings).toBeLessThanOrEqual(ef.profiles.balanced.findings);
  });

  it.skipIf(!existsSync(logs))(`eval logs: one line per data set, figures in --json${skipped(logs)}`, () => {
    const out = join(tmp, 'logs.json');
    const r = run(['eval', 'logs', '--data', logs, '--json', out]);
    expect(r.status, r.stderr).toBe(0);
    console.log(r.stdout.trim());
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3 + 12);
    expect(lines[0]).toMatch(/^BGL_2k: precision \d\.\d{3} recall \d\.\d{3} f1 \d\.\d{3} false_alarms_per_1000 \d+\.\d \(2000 lines; tp \d+, fp \d+, fn \d+\); f1 scored after a warm-up of 100 \d\.\d{3}, 150 \d\.\d{3}, 200 \d\.\d{3}, 300 \d\.\d{3}; time: epoch seconds field, 2000 of 2000 lines stamped$/);
    expect(lines[1]).toMatch(/^HDFS_2k: precision /);
    expect(lines[2]).toMatch(/^Thunderbird_2k: false_alarms_per_1000 \d+\.\d \(2000 lines; \d+ false alarms\); time: epoch seconds field, 2000 of 2000 lines stamped$/);
    // Every Loghub log here has timestamps: none falls back to the i ms spacing.
    expect(lines.filter((l) => /base \+ i ms|no timestamp format/.test(l))).toEqual([]);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { logs: Record<string, { anomalous: number; lines: number; tp: number; fn: number; f1: number | null }> };
    expect(j.logs.BGL_2k).toMatchObject({ anomalous: 143, lines: 2000 });
    expect(j.logs.HDFS_2k).toMatchObject({ anomalous: 70, lines: 2000 });
    expect(j.logs.Thunderbird_2k).toMatchObject({ anomalous: 0, lines: 2000, f1: null });
    expect(Object.keys(j.logs).filter((k) => k.startsWith('unlabeled/'))).toHaveLength(12);
    // The issue's bounds at the logs' own times too (test/workers/detect.e2e.test.ts replays lines
    // 1 ms apart, where rules judged in event time stay silent): value bursts in branch burst13's
    // form had Thunderbird_2k at 16 false alarms (8 per 1,000) here, while that guard saw 2.
    const tb = j.logs.Thunderbird_2k as unknown as { false_alarms_per_1000: number };
    expect(tb.false_alarms_per_1000).toBeLessThanOrEqual(1);
    // BGL_2k at its own times: 0.676 on be3149f (6 Dec), 0.670 with branch severe13, 0.659 with
    // db13's template news after a settled vocabulary (fp 135 -> 142); a floor against further loss.
    expect(j.logs.BGL_2k.f1).toBeGreaterThanOrEqual(0.65);
  });

  const hdfs = join(logs, 'HDFS_100k_sessions');
  it.skipIf(!existsSync(hdfs))(`eval sessions: parameters by cross-validation inside train, figures on test, and the ceiling of this split${skipped(hdfs)}`, () => {
    const out = join(tmp, 'sessions.json');
    const r = run(['eval', 'sessions', '--data', hdfs, '--json', out]);
    expect(r.status, r.stderr).toBe(0);
    console.log(r.stdout.trim());
    type F = { f1: number; precision: number; tp: number; fp: number; anomalous: number; sessions: number };
    const j = JSON.parse(readFileSync(out, 'utf8')) as { sessions: F & { indistinguishable: number; ceiling: Record<string, number>; engine: F; no_labels: F } };
    expect(j.sessions).toMatchObject({ anomalous: 57, sessions: 1588, indistinguishable: 26 });
    // Properties of the data, not of the detector: what any function of the sequence (or of its counts) could reach.
    expect(j.sessions.ceiling.f1).toBeCloseTo(0.7111, 3);
    expect(j.sessions.ceiling.f1_no_false_alarms).toBeCloseTo(62 / 88, 6);
    expect(j.sessions.ceiling.counts_f1_no_false_alarms).toBeCloseTo(60 / 87, 6);
    // Floors for the detector: loose, below what it reaches (0.690 on each line).
    for (const f of [j.sessions, j.sessions.no_labels, j.sessions.engine]) {
      expect(f.f1).toBeGreaterThanOrEqual(0.65);
      expect(f.f1).toBeLessThanOrEqual(j.sessions.ceiling.f1);
      expect(f.fp).toBeLessThanOrEqual(2);
    }
  });
});
