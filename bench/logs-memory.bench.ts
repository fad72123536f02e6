// bench/logs-memory: what one log stream costs at the template bound (issue 11: "say what it is
// at 10k templates"): its state bytes (JSON, travels with every task) and the heap of its live
// scorer (what a worker thread keeps per stream between tasks, logs.ts LIVE_PARAMS).
//
//   30,000 lines of 10,000+ distinct short templates (two letter words, then two key=value
//   fields: a low-cardinality status and a numeric latency) ─► score() in tasks of 1000
//   ─► templates kept, state bytes, heap of the live scorer after a full GC
//
// Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/logs-memory.bench.js
import score from '../workers/score.js';
import { scoreLogs } from '../workers/detectors/logs.js';
import { encodeTask } from '../engine/transforms/score.js';
import type { EventRecord } from '../engine/types.js';
import { letterWord } from '../src/tools/demo/synthetic.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const TEMPLATES = 10_500;
const LINES = 30_000;
let state: Uint8Array | null = null;
for (let from = 0; from < LINES; from += 1000) {
  const records: EventRecord[] = [];
  for (let i = from; i < from + 1000; i++) {
    const t = i % TEMPLATES;
    const text = `${letterWord(t)} ${letterWord(t * 7 + 3)} status=${[200, 201, 404][i % 3]} ms=${(i * 37) % 500}`;
    records.push({ ts: i * 10, text, streamType: 'logs' } as unknown as EventRecord);
  }
  const { events, columns } = encodeTask(records);
  const r = score({ stream: 'memory', streamType: 'logs', state, events, ...(columns === undefined ? {} : { columns }) });
  if (!r.ok) throw new Error(r.message);
  state = r.state;
}
if (state === null) throw new Error('no state');
const parsed = JSON.parse(Buffer.from(state).toString('utf8')) as { m: { t: unknown[] }; s: object };
const templates = parsed.m.t.length;
const slotBytes = JSON.stringify(parsed.s).length;
gc();
const before = process.memoryUsage().heapUsed;
// Loads the state into a live scorer that this thread keeps (key given), as a worker does.
const kept = scoreLogs(state, [], undefined, 0.5, 'memory-probe');
gc();
const heap = process.memoryUsage().heapUsed - before - kept.state.byteLength;
console.log(`logs_stream_at_template_bound: ${templates} templates, state ${(state.byteLength / 1e6).toFixed(2)} MB JSON (slot statistics ${(slotBytes / 1e6).toFixed(2)} MB), live scorer heap ${(heap / 1e6).toFixed(1)} MB`);
