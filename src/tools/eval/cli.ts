// `driftwatch eval <nab|logs|events>`: flags → one evaluation → one line per data set on
// stdout, progress on stderr, optionally the figures as JSON (--json FILE).
//
//   bin/driftwatch.ts ──► runEval(mode, flags) ──► evalNab | evalLogs | evalEvents ──► stdout lines
//                                                                          └──► --json FILE
// Bad input (missing flag, wrong folder, unreadable labels) throws TypeError: the CLI exits 2.
import { writeFileSync } from 'node:fs';
import { evalEvents } from './events.js';
import { evalLogs } from './logs.js';
import { runGenerate } from './generate.js';
import { GENERATORS } from './generators/index.js';
import { formatFigures, formatIncidents, type DetectionFigures } from './metrics.js';
import { evalNab, formatNab, NAB_STREAM_PROFILE } from './nab.js';
import { evalSessions, type SessionsFigures } from './sessions.js';

export const EVAL_MODES: Record<string, string> = {
  nab: 'NAB time series: NAB\'s own scoring (3 profiles, windows, probation, normalisation, threshold sweep over row scores), and the engine\'s findings at each stream profile\'s threshold',
  logs: 'Loghub logs: per-line precision/recall/F1 (BGL_2k, HDFS_2k), false alarms per 1,000 lines (Thunderbird_2k, unlabeled/*.log)',
  sessions: 'sessions grouped by entity (HDFS block sessions: sessions.csv with a train/test split): the sequence detector fitted on train, precision/recall/F1 of sessions on test',
  events: 'your events (our ingest shape, NDJSON) with labels {"anomalous": [line indices], "kinds"?: {...}}: precision/recall/F1, false alarms per 1,000, incident recall (per kind)',
  generate: 'write a labelled event set of our own (--kind, --seed) to --out DIR (events.ndjson, labels.json) for eval events',
};

export const EVAL_FLAGS: Record<string, string> = {
  '--data': 'nab, logs, sessions: the data folder (NAB layout: data/, labels/combined_windows.json; Loghub layout: BGL/, HDFS/, ...; sessions: sessions.csv)',
  '--events': 'events: NDJSON file, one {timestamp, stream_type, data, metadata?, stream?} per line',
  '--labels': 'events: JSON file {"anomalous": [0-based line indices], "kinds"?: {"<index>": "<kind>"}}',
  '--kind': `generate: which generator (${Object.keys(GENERATORS).join(', ')})`,
  '--seed': 'generate: an integer seed (same seed, same data)',
  '--out': 'generate: the folder to write events.ndjson and labels.json to',
  '--time': 'logs: own (default: each line\'s own timestamp, in the format its log has) or spaced (line i at base + i ms, as before)',
  '--json': 'also write the figures as JSON to this file',
};

export function evalUsage(): string {
  return [
    'Usage: driftwatch eval <mode> [options]',
    '',
    'Runs the detectors in-process, causally (each stream in order, batches of 100, state carried),',
    'over labelled data; prints one line per data set (progress on stderr).',
    '',
    'Modes:',
    ...Object.entries(EVAL_MODES).map(([m, d]) => `  ${m.padEnd(8)} ${d}`),
    '',
    'Options:',
    ...Object.entries(EVAL_FLAGS).map(([f, d]) => `  ${`${f} <${f === '--kind' ? 'kind' : f === '--seed' ? 'n' : f === '--time' ? 'own|spaced' : 'path'}>`.padEnd(18)} ${d}`),
    '',
    'Generator kinds (eval generate --kind):',
    ...Object.entries(GENERATORS).map(([k, g]) => `  ${k.padEnd(10)} ${g.describe}`),
    '',
    'Examples:',
    '  driftwatch eval nab --data ../shared/datasets/nab --json nab.json',
    '  driftwatch eval logs --data ../shared/datasets/logs',
    '  driftwatch eval sessions --data ../shared/datasets/logs/HDFS_100k_sessions --json sessions.json',
    '  driftwatch eval events --events examples/demo-events.ndjson --labels examples/demo-labels.json',
    '  driftwatch eval generate --kind logs --seed 101 --out /tmp/logs-101',
    '  driftwatch eval generate --kind db --seed 7 --out /tmp/db-7',
  ].join('\n');
}

export interface EvalIo {
  out: (line: string) => void;
  progress: (text: string) => void;
  done: () => void;
}

function defaultIo(): EvalIo {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  return {
    out: (line) => { process.stdout.write(line + '\n'); },
    progress: (text) => {
      if (tty) { process.stderr.write(`\r\x1b[K${text}`); shown = true; } else process.stderr.write(text + '\n');
    },
    done: () => { if (shown) process.stderr.write('\r\x1b[K'); shown = false; },
  };
}

const need = (flags: Record<string, string>, f: string, mode: string): string => {
  const v = flags[f];
  if (v === undefined || v === '') throw new TypeError(`eval ${mode} needs ${f} <path> (see driftwatch eval --help)`);
  return v;
};

const figuresJson = (m: DetectionFigures): Record<string, number | null> => ({
  precision: m.precision, recall: m.recall, f1: m.f1, false_alarms_per_1000: m.false_alarms_per_1000, tp: m.tp, fp: m.fp, fn: m.fn, anomalous: m.anomalous,
});

/** Runs one evaluation. `flags` holds only eval flags (--data, --events, --labels, --json). */
export async function runEval(mode: string, flags: Record<string, string>, io: EvalIo = defaultIo()): Promise<void> {
  if (mode === '') throw new TypeError(`eval needs a mode: ${Object.keys(EVAL_MODES).join(', ')} (see driftwatch eval --help)`);
  if (!(mode in EVAL_MODES)) throw new TypeError(`unknown eval mode ${JSON.stringify(mode)} (modes: ${Object.keys(EVAL_MODES).join(', ')})`);
  const allowed = mode === 'events' ? ['--events', '--labels', '--json'] : mode === 'generate' ? ['--kind', '--seed', '--out'] : mode === 'logs' ? ['--data', '--time', '--json'] : ['--data', '--json'];
  for (const f of Object.keys(flags)) if (!allowed.includes(f)) throw new TypeError(`${f} is not an option of eval ${mode} (options: ${allowed.join(', ')})`);
  let json: unknown;
  try {
    json = run(mode, flags, io);
  } catch (err) {
    // A window bound that is no row's timestamp, a label outside the log: bad input, exit 2.
    if (err instanceof RangeError) throw new TypeError(err.message);
    throw err;
  } finally {
    io.done();
  }
  if (flags['--json'] !== undefined) {
    writeFileSync(flags['--json'], JSON.stringify(json, null, 2) + '\n');
    io.progress(`eval ${mode}: figures written to ${flags['--json']}`);
  }
}

function run(mode: string, flags: Record<string, string>, io: EvalIo): unknown {
  if (mode === 'generate') return runGenerate(flags, io);
  if (mode === 'nab') {
    const r = evalNab({ data: need(flags, '--data', mode), progress: (k, n, f) => io.progress(`eval nab: file ${k} of ${n} ${f}`) });
    io.done();
    for (const n of r.notes) io.progress(`eval nab: note: ${n}`);
    const profiles = Object.keys(r.nab.thresholds);
    io.out(formatNab('nab', r.nab, profiles, `${r.nab.files} files, ${r.nab.seconds.toFixed(1)} s; in-sample: parameters and threshold chosen on these files`));
    if (r.nab.loco !== null) io.out(formatNab('nab leave-one-category-out', r.nab.loco.scores, profiles, `each of the ${r.nab.loco.folds.length} categories at the threshold chosen on the others`));
    const ef = r.nab.engine_findings;
    const which = profiles.map((p) => `${p} at ${NAB_STREAM_PROFILE[p] ?? 'balanced'} ${ef.profiles[NAB_STREAM_PROFILE[p] ?? 'balanced'].threshold}`).join(', ');
    io.out(formatNab('nab engine findings', ef.by_profile, profiles, `the engine's findings as detections; ${which}`));
    for (const [det, b] of Object.entries(r.baselines)) {
      io.out(formatNab(`nab ${det} (stored results)`, b, profiles, `${b.files} files, same scoring`));
    }
    return {
      nab: {
        ...Object.fromEntries(profiles.map((p) => [p, (r.nab as unknown as Record<string, number>)[p]])),
        engine_findings: r.nab.engine_findings,
        leave_one_category_out: r.nab.loco,
        files: r.nab.files, rows: r.nab.rows, findings: r.nab.findings, seconds: r.nab.seconds, thresholds: r.nab.thresholds, per_file: r.nab.per_file,
      },
      baselines: r.baselines,
      notes: r.notes,
    };
  }
  if (mode === 'logs') {
    const time = flags['--time'] ?? 'own';
    if (time !== 'own' && time !== 'spaced') throw new TypeError(`--time ${time}: expected own or spaced`);
    const r = evalLogs({ data: need(flags, '--data', mode), time, progress: (k, n, name) => io.progress(`eval logs: log ${k} of ${n} ${name}`) });
    io.done();
    for (const m of r.missing) io.progress(`eval logs: note: ${m} not found, skipped`);
    const out: Record<string, unknown> = {};
    for (const d of r.datasets) {
      const warm = d.warmup.map((w) => `${w.lines} ${(w.f1 ?? 0).toFixed(3)}`).join(', ');
      io.out(`${formatFigures(d.name, d, 'lines')}${warm === '' ? '' : `; f1 scored after a warm-up of ${warm}`}; time: ${d.time}`);
      out[d.name] = { ...figuresJson(d), lines: d.events, seconds: d.seconds, time: d.time, warmup: d.warmup };
    }
    return { logs: out };
  }
  if (mode === 'sessions') {
    io.progress('eval sessions: choosing parameters by 5-fold cross-validation inside train, fitting on train');
    const r = evalSessions({ data: need(flags, '--data', mode) });
    io.done();
    const line = (name: string, f: SessionsFigures, how: string): string =>
      `${formatFigures(name, f, 'test sessions').replace(/\)$/, '')}; ${how}; marginBits ${f.params.marginBits}, transitions ${f.params.transitions ? 'on' : 'off'}, invariants ${f.params.invariantConf > 0 ? `at ${f.params.invariantConf}` : 'off'}, rare templates ${f.params.rareShare > 0 ? `below ${f.params.rareShare} of sessions` : 'off'} chosen by 5-fold cross-validation on the ${f.validation.sessions} train sessions (F1 ${(f.validation.f1 ?? 0).toFixed(3)}))`;
    io.out(line('sessions', r.normal, `reference: the ${r.normal.reference_sessions} normal train sessions (train labels used only to leave anomalous sessions out)`));
    io.out(line('sessions, no labels', r.all, `reference: all ${r.all.reference_sessions} train sessions, anomalous ones included`));
    io.out(`sessions: ${r.normal.indistinguishable} of ${r.normal.anomalous} test anomalies have the very template sequence of a normal train session, ${r.same_counts_as_normal} the same template counts: no detector that sees only the sequence can flag them without flagging those normal sessions`);
    io.out(`${formatFigures('sessions, engine defaults', r.engine, 'test sessions').replace(/\)$/, '')}; reference: all train sessions; the engine's SESSION_PARAMS, nothing chosen on this data)`);
    const c = r.ceiling;
    io.out(`sessions, ceiling (computed with the test labels: a bound, not a result): any function of the exact template sequence reaches at most F1 ${c.f1.toFixed(3)} on this test split (${c.f1_no_false_alarms.toFixed(3)} without false alarms); of the template counts ${c.counts_f1.toFixed(3)} (${c.counts_f1_no_false_alarms.toFixed(3)})`);
    const j = (f: SessionsFigures): Record<string, unknown> => ({ ...figuresJson(f), sessions: f.events, reference: f.reference, reference_sessions: f.reference_sessions, params: f.params, validation: f.validation, indistinguishable: f.indistinguishable, seconds: f.seconds });
    return { sessions: { ...j(r.normal), same_counts_as_normal: r.same_counts_as_normal, ceiling: r.ceiling, engine: figuresJson(r.engine), no_labels: j(r.all) } };
  }
  const events = need(flags, '--events', mode);
  const labels = need(flags, '--labels', mode);
  const r = evalEvents({ events, labels, progress: (k, n, s) => io.progress(`eval events: stream ${k} of ${n} ${s}`) });
  io.done();
  io.out(formatFigures('events', r, `events, ${r.streams} stream${r.streams === 1 ? '' : 's'}, ${r.seconds.toFixed(1)} s`));
  io.out(formatIncidents(r.incidents));
  return { events: { ...figuresJson(r), events: r.events, streams: r.streams, seconds: r.seconds, incidents: r.incidents, flagged: r.flagged } };
}
