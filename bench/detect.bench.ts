// bench/detect: events scored per second on one thread, through the worker task entry
// (decode + detect + state), with the raw compressor's throughput on the same input.
//
//   lines/values ─► encode batches of 1000 as the engine does (encodeTask: columns; outside the
//   timed loop) ─► score() ─► state ─► next batch (the engine's tasks hold what waited, up to
//   maxTaskEvents = 5000)
//
// Prints one comparable line per case: `name: N ops/s ±x%` (median of runs, spread = max−min / 2).
// Run: npx tsc -p tsconfig.json && node dist/bench/detect.bench.js [--only loghub]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { packageRoot } from '../src/core/paths.js';
import score from '../workers/score.js';
import { TEXT_PARAMS } from '../workers/detectors/text.js';
import type { ScoreInput, ScoreTask, StreamType } from '../workers/types.js';
import { encodeTask } from '../engine/transforms/score.js';
import type { EventRecord } from '../engine/types.js';
import { prng, syntheticLog } from '../src/tools/demo/synthetic.js';
import { PROSE_PARAMS } from '../workers/detectors/prose.js';
import { generateLlm } from '../src/tools/eval/generators/llm.js';

const RUNS = 5;
const BATCH = 1000;

type Batch = Pick<ScoreTask, 'events' | 'columns'>;

/** Tasks as the engine sends them (engine/transforms/score.ts encodeTask: columns, texts as one UTF-8 string). */
function batches(events: ScoreInput[], type: StreamType): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < events.length; i += BATCH) {
    const records = events.slice(i, i + BATCH).map((e) => ({ ts: e.ts, text: e.text, value: e.value, streamType: type, metadataJson: e.metadata === undefined ? null : JSON.stringify(e.metadata) }) as unknown as EventRecord);
    const { events: bytes, columns } = encodeTask(records);
    out.push(columns === undefined ? { events: bytes } : { events: bytes, columns });
  }
  return out;
}

/** `--only <text>`: run only the cases whose name contains it (`--only loghub`). */
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? (process.argv[onlyAt + 1] ?? '') : '';
const skip = (name: string): boolean => only !== '' && !name.includes(only);

function report(name: string, rates: number[]): number {
  const s = [...rates].sort((a, b) => a - b);
  const med = s[s.length >> 1];
  const spread = ((s[s.length - 1] - s[0]) / 2 / med) * 100;
  console.log(`${name}: ${Math.round(med)} ops/s ±${spread.toFixed(1)}%`);
  return med;
}

/** The form the numeric path read before it took the engine's columns: JSON ScoreInput[] batches. */
function jsonBatches(events: ScoreInput[]): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < events.length; i += BATCH) out.push({ events: new TextEncoder().encode(JSON.stringify(events.slice(i, i + BATCH))) });
  return out;
}

function benchScore(name: string, type: StreamType, events: ScoreInput[], streams: ScoreInput[][] = [events], rowScores = false, json = false): number {
  if (skip(name)) return Number.NaN;
  const all = streams.map((s) => (json ? jsonBatches(s) : batches(s, type)));
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    for (const bs of all) {
      let state: Uint8Array | null = null;
      for (const b of bs) {
        const r = score({ stream: 'bench', streamType: type, state, ...b, ...(rowScores ? { rowScores } : {}) });
        if (!r.ok) throw new Error(r.message);
        state = r.state;
      }
    }
    rates.push(events.length / ((performance.now() - t0) / 1000));
  }
  return report(name, rates);
}

function benchRaw(name: string, lines: string[], opts: { level: number; dictionary?: Buffer }): number {
  if (skip(name)) return Number.NaN;
  const bufs = lines.map((l) => Buffer.from(l + '\n'));
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    let sink = 0;
    for (const b of bufs) sink += deflateRawSync(b, opts).length;
    rates.push(bufs.length / ((performance.now() - t0) / 1000));
    if (sink < 0) console.log(sink);
  }
  return report(name, rates);
}

const { lines } = syntheticLog({ lines: 20_000, anomalies: 60 });
const r = prng(1);
const values = Array.from({ length: 500_000 }, (_, i) => 100 + 20 * Math.sin(i / 50) + r() * 5 + (i % 9973 === 0 ? 80 : 0));
// The detector's dictionary is at most TEXT_PARAMS.baselineBytes of distinct normalised lines;
// the raw rate with a dictionary of that size is its per-novel-line ceiling.
const dictOf = (ls: string[]): Buffer => Buffer.from(ls.join('\n')).subarray(-TEXT_PARAMS.baselineBytes);
const dict = dictOf(lines.slice(0, 400));
const dictKiB = Math.round(TEXT_PARAMS.baselineBytes / 1024);

benchScore('detect_logs_demo', 'logs', lines.map((text, i) => ({ ts: i, text })));
benchRaw('raw_deflate_l6_per_line', lines, { level: 6 });
benchRaw(`raw_deflate_l6_per_line_${dictKiB}k_dict`, lines, { level: 6, dictionary: dict });
// Real logs (Loghub samples, one stream per file) when the shared datasets are present.
const logsDir = join(packageRoot, '..', 'shared', 'datasets', 'logs', 'unlabeled');
if (existsSync(logsDir)) {
  const files = readdirSync(logsDir).filter((f) => f.endsWith('.log')).sort();
  const streams = files.map((f) => readFileSync(join(logsDir, f), 'utf8').split(/\r?\n/).filter((l) => l.length > 0).map((text, i) => ({ ts: i, text })));
  const flat = streams.flat();
  const rate = benchScore('detect_logs_loghub_unlabeled', 'logs', flat, streams);
  const texts = flat.map((e) => e.text);
  const ceiling = benchRaw('raw_deflate_l6_per_line_loghub', texts, { level: 6 });
  if (!Number.isNaN(rate)) console.log(`detect_logs_loghub_unlabeled_vs_raw_deflate: ${(rate / ceiling).toFixed(3)} ratio`);
  benchRaw(`raw_deflate_l6_per_line_loghub_${dictKiB}k_dict`, texts, { level: 6, dictionary: dictOf(texts.slice(0, 400)) });
} else {
  console.log(`detect_logs_loghub_unlabeled: skipped (${logsDir} absent)`);
}
// One point a minute, so the time-of-day profile is exercised.
const points = values.map((value, i) => ({ ts: 1_700_000_000_000 + i * 60_000, value }));
// As the engine sends them (columns); then as JSON ScoreInput[] (what this case measured before
// the numeric path read the columns directly: the parse is the difference).
benchScore('detect_metrics', 'metrics', points);
benchScore('detect_metrics_json', 'metrics', points, [points], false, true);
// With per-row scores (task.rowScores, what `driftwatch eval` asks for; the engine does not).
benchScore('detect_metrics_row_scores', 'metrics', points, [points], true);
// LLM prompts (the llm generator's tuning seed 1, one stream per generated stream): the free-text
// detector compresses each prompt three times (against the stream's dictionary, alone, Huffman
// only); the ceiling is one raw deflate per prompt with a dictionary of PROSE_PARAMS.dictBytes.
const llm = generateLlm(1).events;
const llmStreams = [...new Set(llm.map((e) => e.stream))].map((name) => llm.filter((e) => e.stream === name).map((e, i) => ({ ts: i, text: String(e.data) })));
const prompts = llmStreams.flat();
const llmRate = benchScore('detect_llm_prompts', 'llm', prompts, llmStreams);
const promptTexts = prompts.map((e) => e.text.toLowerCase());
const promptDict = Buffer.from(promptTexts.slice(0, 400).join('\n')).subarray(-PROSE_PARAMS.dictBytes);
const llmCeiling = benchRaw(`raw_deflate_l6_per_prompt_${Math.round(PROSE_PARAMS.dictBytes / 1024)}k_dict`, promptTexts, { level: 6, dictionary: promptDict });
if (!Number.isNaN(llmRate)) console.log(`detect_llm_prompts_vs_raw_deflate: ${(llmRate / llmCeiling).toFixed(3)} ratio`);
