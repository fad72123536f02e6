// bench/ingest-stages: CPU per event of the engine's main-thread stages on the varied frames
// (issue 11's websocket_varied_to_postgres payload), on one thread, no sockets, no PostgreSQL.
//
//   the Loghub logs (as ingest.bench.ts's varied case: 15 streams interleaved, frames of 100)
//     ─► decodeFrame (prescan + JSON.parse)       decode
//     ─► validateEach (map fields, timestamps)    validate
//     ─► blockParts (parts + sha256 fingerprint)  parts
//     ─► mergedBlockLines per 16 frames (brotli)  merge
//     ─► forScoring, kept per stream (as the scorer's queues) for 100 frames  keep
//     ─► encodeTask per stream per 100 frames     task
//
// Prints `ingest_stages: N events/s ±x% (µs per event: decode a, validate b, ...)`: the median
// over RUNS rounds of the process's CPU time (process.cpuUsage: this thread and V8's GC helpers).
// Run: npm run build && LOGHUB_DIR=../shared/datasets/logs RUNS=7 node dist/bench/ingest-stages.bench.js
import { blockParts, mergedBlockLines, type MergeInput } from '../engine/sinks/postgres/blocks.js';
import { decodeFrame, forScoring, validateEach } from '../engine/transforms/decode.js';
import { encodeTask } from '../engine/transforms/score.js';
import type { EventRecord } from '../engine/types.js';
import { variedFrames } from './loghub-varied.js';

const dir = process.env.LOGHUB_DIR ?? '../shared/datasets/logs';
const RUNS = Number(process.env.RUNS ?? 7);
const TENANT = '00000000-0000-4000-8000-000000000001';
const GROUP = 16;

const cpu = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
const STAGES = ['decode', 'validate', 'parts', 'merge', 'keep', 'task'] as const;

function round(fs: Buffer[]): Record<(typeof STAGES)[number], number> {
  const lim = { maxBatchEvents: 10_000, maxEventBytes: 1 << 20 };
  const spent = { decode: 0, validate: 0, parts: 0, merge: 0, keep: 0, task: 0 };
  let group: MergeInput[] = [];
  const byStream = new Map<string, EventRecord[]>();
  for (let f = 0; f < fs.length; f++) {
    let t = cpu();
    const lap = (k: keyof typeof spent): void => { const n = cpu(); spent[k] += n - t; t = n; };
    const frame = decodeFrame(new Uint8Array(fs[f]), false, lim);
    lap('decode');
    const { records } = validateEach(frame.events, lim, Date.now());
    lap('validate');
    const b = blockParts(records, true);
    lap('parts');
    group.push({ tenantId: TENANT, batchKey: `ws:bench:${f}`, lines: '', parts: b.parts });
    if (group.length === GROUP) { mergedBlockLines(group); group = []; lap('merge'); }
    // As ingest.ts hands them to the scorer (decode.ts forScoring: a line kept once).
    for (const r of forScoring(records)) { const q = byStream.get(r.stream); if (q === undefined) byStream.set(r.stream, [r]); else q.push(r); }
    lap('keep');
    if (f % 100 === 99) { for (const q of byStream.values()) encodeTask(q); byStream.clear(); lap('task'); }
  }
  return spent;
}

const fs = variedFrames(dir);
const events = fs.length * 100;
round(fs); // warm-up
const totals: number[] = [];
const per: Record<string, number[]> = {};
for (let r = 0; r < RUNS; r++) {
  const s = round(fs);
  let tot = 0;
  for (const k of STAGES) { (per[k] ??= []).push(s[k] / events); tot += s[k]; }
  totals.push(tot / events);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const m = median(totals);
const spread = (Math.max(...totals) - Math.min(...totals)) / 2 / m;
console.log(`# ${fs.length} frames of 100 events, ${RUNS} rounds; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`ingest_stages: ${Math.round(1e6 / m)} events/s ±${(spread * 100).toFixed(1)}% (CPU µs per event: ${STAGES.map((k) => `${k} ${median(per[k]).toFixed(2)}`).join(', ')}; total ${m.toFixed(2)})`);
