// bench/ingest-pipeline: CPU per event of the engine's whole main-thread path on the varied frames,
// one round = decode + validate + blockParts (with the sha256 fingerprint) + the merged brotli
// blocks per 16 frames + the hand-off to the scorer (records kept per stream for 100 frames, as
// the scorer's queues keep them until scored) + encodeTask. Unlike ingest-stages it times whole
// rounds, so GC caused by what stays queued counts wherever it falls.
//
// An A/B of two builds, one process each (alternate them; load is high on this machine):
//   node dist/bench/ingest-pipeline.bench.js [OTHER_TREE/dist]
// loads the engine modules from the given dist directory (default: this build); a tree without
// decode.ts forScoring hands the records over as they are (what its ingest.ts does).
// Prints the median and least CPU µs per event over RUNS rounds (process.cpuUsage: this thread
// and V8's GC helpers). LOGHUB_DIR as ingest-stages.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EventRecord } from '../engine/types.js';
import { variedFrames } from './loghub-varied.js';

type Mod = Record<string, (...a: never[]) => unknown>;
const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const load = async (p: string): Promise<Mod> => (await import(pathToFileURL(join(root, p)).href)) as Mod;
const dec = await load('engine/transforms/decode.js');
const blocks = await load('engine/sinks/postgres/blocks.js');
const score = await load('engine/transforms/score.js');

const decodeFrame = dec.decodeFrame as unknown as (b: Uint8Array, bin: boolean, l: object) => { events: unknown[] };
const validateEach = dec.validateEach as unknown as (e: unknown[], l: object, now: number) => { records: EventRecord[] };
const keep = (dec.forScoring ?? ((r: EventRecord[]) => r)) as unknown as (r: EventRecord[]) => EventRecord[];
const blockParts = blocks.blockParts as unknown as (r: EventRecord[], h: boolean) => { parts: unknown[] };
const mergedBlockLines = blocks.mergedBlockLines as unknown as (w: object[]) => unknown;
const encodeTask = score.encodeTask as unknown as (r: EventRecord[]) => unknown;

const dir = process.env.LOGHUB_DIR ?? '../shared/datasets/logs';
const RUNS = Number(process.env.RUNS ?? 9);
const frames = variedFrames(dir);

const lim = { maxBatchEvents: 10_000, maxEventBytes: 1 << 20 };
const cpu = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
function round(): number {
  let group: object[] = [];
  const byStream = new Map<string, EventRecord[]>();
  const t0 = cpu();
  for (let f = 0; f < frames.length; f++) {
    const { records } = validateEach(decodeFrame(new Uint8Array(frames[f]), false, lim).events, lim, Date.now());
    group.push({ tenantId: '00000000-0000-4000-8000-000000000001', batchKey: `ws:bench:${f}`, lines: '', parts: blockParts(records, true).parts });
    if (group.length === 16) { mergedBlockLines(group); group = []; }
    for (const r of keep(records)) { const q = byStream.get(r.stream); if (q === undefined) byStream.set(r.stream, [r]); else q.push(r); }
    if (f % 100 === 99) { for (const q of byStream.values()) encodeTask(q); byStream.clear(); }
  }
  return (cpu() - t0) / (frames.length * 100);
}
round(); // warm-up
const r: number[] = [];
for (let i = 0; i < RUNS; i++) r.push(round());
r.sort((a, b) => a - b);
console.log(`ingest_pipeline ${root}: CPU µs/event median ${r[r.length >> 1].toFixed(3)}, least ${r[0].toFixed(3)} (${RUNS} rounds of ${frames.length * 100} events; forScoring ${dec.forScoring === undefined ? 'absent' : 'present'})`);
