// bench/logs-golden: a guard for speed work on the text detectors. Writes (or compares with) every
// finding, a hash of the row scores and a hash of the final states of the logs / llm detectors on
//
//   the 15 Loghub logs (../shared/datasets/logs: BGL_2k, HDFS_2k, Thunderbird_2k, unlabeled/*)
//     × times: their own timestamps and `--time spaced` × tasks of 100 and of 1000 events
//   the generators' tuning seeds 1-10 of --kind logs, mixed and llm, each stream in tasks of 100
//
// run exactly as `eval logs` / `eval events` run them (score() per task, state carried).
//
//   node dist/bench/logs-golden.js --write /tmp/golden.json     (before a change)
//   node dist/bench/logs-golden.js --compare /tmp/golden.json   (after: exit 1 on any difference)
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import score from '../workers/score.js';
import type { ScoreInput, StreamType } from '../workers/types.js';
import { splitLabelToken, splitLines } from '../src/tools/eval/logs.js';
import { logTimes, spacedTimes } from '../src/tools/eval/logtime.js';
import { parseEventsNdjson } from '../src/tools/eval/events.js';
import { GENERATORS } from '../src/tools/eval/generators/index.js';

interface Run {
  findings: string[];
  rows: string;
  state: string;
  sessionState: string;
}

const enc = new TextEncoder();
const hash = (b: Uint8Array | null | undefined): string => (b === null || b === undefined ? '-' : createHash('sha256').update(b).digest('hex').slice(0, 16));

function run(stream: string, type: StreamType, events: readonly ScoreInput[], batch: number): Run {
  const findings: string[] = [];
  const rows = createHash('sha256');
  let state: Uint8Array | null = null;
  let sessionState: Uint8Array | null = null;
  for (let off = 0; off < events.length; off += batch) {
    const slice = events.slice(off, off + batch);
    const r = score({ stream, streamType: type, state, sessionState, events: enc.encode(JSON.stringify(slice)), rowScores: true });
    if (!r.ok) throw new Error(`${stream} at ${off}: ${r.code}: ${r.message}`);
    for (const f of r.findings) findings.push(JSON.stringify({ ...f, index: off + f.index }));
    if (r.rowScores !== undefined) rows.update(new Uint8Array(r.rowScores.buffer, r.rowScores.byteOffset, r.rowScores.byteLength));
    state = r.state;
    sessionState = r.sessionState ?? null;
  }
  return { findings, rows: rows.digest('hex').slice(0, 16), state: hash(state), sessionState: hash(sessionState) };
}

function collect(): Record<string, Run> {
  const out: Record<string, Run> = {};
  const dir = join(packageRoot, '..', 'shared', 'datasets', 'logs');
  if (!existsSync(dir)) throw new Error(`${dir} is absent`);
  const read = (rel: string): string[] => splitLines(readFileSync(join(dir, rel), 'utf8'));
  const logs: [string, string[]][] = [
    ['BGL_2k', splitLabelToken(read('BGL/BGL_2k.log')).texts],
    ['HDFS_2k', read('HDFS/HDFS_2k.log')],
    ['Thunderbird_2k', splitLabelToken(read('Thunderbird/Thunderbird_2k.log')).texts],
    ...readdirSync(join(dir, 'unlabeled')).filter((f) => f.endsWith('.log')).sort().map((f): [string, string[]] => [`unlabeled/${f}`, read(`unlabeled/${f}`)]),
  ];
  for (const [name, texts] of logs) {
    for (const time of ['own', 'spaced'] as const) {
      const times = time === 'spaced' ? spacedTimes(texts.length, 'spaced') : logTimes(texts);
      const events = texts.map((text, i) => ({ ts: times.ts[i], text }));
      for (const batch of [100, 1000]) {
        const key = `loghub ${name} ${time} ${batch}`;
        out[key] = run(name, 'logs', events, batch);
        process.stderr.write(`${key}: ${out[key].findings.length} findings\n`);
      }
    }
  }
  for (const kind of ['logs', 'mixed', 'llm']) {
    for (let seed = 1; seed <= 10; seed++) {
      const set = GENERATORS[kind].generate(seed);
      const parsed = parseEventsNdjson(set.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      for (const [stream, s] of parsed.streams) {
        if (s.streamType === 'metrics') continue;
        const key = `generated ${kind} ${seed} ${stream}`;
        out[key] = run(stream, s.streamType, s.inputs, 100);
      }
      process.stderr.write(`generated ${kind} ${seed}\n`);
    }
  }
  return out;
}

const mode = process.argv[2];
const file = process.argv[3];
if ((mode !== '--write' && mode !== '--compare') || file === undefined) {
  console.error('usage: node dist/bench/logs-golden.js --write|--compare FILE');
  process.exit(2);
}
const now = collect();
if (mode === '--write') {
  writeFileSync(file, JSON.stringify(now, null, 1) + '\n');
  console.log(`wrote ${Object.keys(now).length} runs, ${Object.values(now).reduce((a, r) => a + r.findings.length, 0)} findings → ${file}`);
} else {
  const was = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Run>;
  let bad = 0;
  for (const key of new Set([...Object.keys(was), ...Object.keys(now)])) {
    const a = was[key];
    const b = now[key];
    if (a === undefined || b === undefined) {
      console.log(`${key}: ${a === undefined ? 'new' : 'missing'}`);
      bad++;
      continue;
    }
    const diffs: string[] = [];
    if (a.findings.length !== b.findings.length) diffs.push(`findings ${a.findings.length} → ${b.findings.length}`);
    const i = a.findings.findIndex((f, k) => f !== b.findings[k]);
    if (i >= 0) diffs.push(`first differing finding #${i}: ${a.findings[i]} → ${b.findings[i] ?? '(none)'}`);
    for (const k of ['rows', 'state', 'sessionState'] as const) if (a[k] !== b[k]) diffs.push(`${k} ${a[k]} → ${b[k]}`);
    if (diffs.length > 0) {
      bad++;
      console.log(`${key}: ${diffs.join('; ')}`);
    }
  }
  const total = Object.values(now).reduce((a, r) => a + r.findings.length, 0);
  console.log(bad === 0 ? `identical: ${Object.keys(now).length} runs, ${total} findings, row scores and states` : `${bad} runs differ`);
  process.exit(bad === 0 ? 0 : 1);
}
