// bench/blocks: building and reading event blocks on one thread, per codec (what chose the codec).
//
//   the ingest bench's payload (16 batches of 1000 log events, 8 streams)
//     ─► validateEvents (outside the timed loop)
//     ─► blockLines(codec): group by stream, JSON payload, compress, COPY text line   (encode)
//     ─► decodeBlock(codec) of every block                                             (decode)
//   the same events re-cut as the varied case's frames (100 events, 15 streams), brotli:
//     ─► small_frames_per_frame: blockLines per frame (one block per stream and frame: ~6.7 events)
//     ─► small_frames_group_<G>: blockParts per frame + mergedBlockLines over G frames (one block
//        per stream and group commit, as the events sink now builds them)
//
// Prints one line per codec and direction: `name: N events/s ±x% (B bytes/event stored)`,
// the median of RUNS runs (spread = (max − min) / 2 / median). bytes/event is the COPY text
// sent to PostgreSQL per event (hex payload included), and the bytea stored per event.
// Run: npx tsc -p tsconfig.json && node dist/bench/blocks.bench.js
import { syntheticLog } from '../src/tools/demo/synthetic.js';
import { BLOCK_COLUMNS, blockLines, blockParts, mergedBlockLines } from '../engine/sinks/postgres/blocks.js';
import { CODECS, decodeBlock, type Codec } from '../src/core/blocks.js';
import { eventLines } from '../engine/sinks/postgres/copy.js';
import { validateEvents } from '../engine/transforms/decode.js';
import type { EventRecord } from '../engine/types.js';

const RUNS = Number(process.env.RUNS ?? 7);
const BATCH = 1000;
const BATCHES = 16;
const STREAMS = 8;
const TENANT = '00000000-0000-4000-8000-000000000001';

function records(): EventRecord[][] {
  const { lines } = syntheticLog({ lines: BATCH * BATCHES, anomalies: 40, seed: 7 });
  const t0 = Date.UTC(2026, 0, 1);
  const out: EventRecord[][] = [];
  for (let b = 0; b < BATCHES; b++) {
    const raw = [];
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      raw.push({ timestamp: new Date(t0 + n * 10).toISOString(), stream_type: 'logs', data: lines[n], metadata: { source: `svc-${n % STREAMS}`, host: `web-${n % 3}` } });
    }
    out.push(validateEvents(raw, { maxBatchEvents: BATCH, maxEventBytes: 1 << 20 }));
  }
  return out;
}

function report(name: string, rates: number[], note: string): void {
  const s = [...rates].sort((a, b) => a - b);
  const med = s[s.length >> 1];
  console.log(`${name}: ${Math.round(med)} events/s ±${(((s[s.length - 1] - s[0]) / 2 / med) * 100).toFixed(1)}% ${note}`);
}

/** Hex-decodes the payload column of every COPY line (what PostgreSQL would store). */
function payloads(lines: string): { codec: string; bytes: Buffer }[] {
  const ci = BLOCK_COLUMNS.indexOf('codec');
  return lines.split('\n').filter((l) => l !== '').map((l) => {
    const f = l.split('\t');
    return { codec: f[ci], bytes: Buffer.from(f[ci + 1].slice(3), 'hex') };
  });
}

const input = records();
const events = BATCH * BATCHES;
const jsonBytes = input.reduce((a, rs) => a + rs.reduce((b, r) => b + r.bytes, 0), 0);
console.log(`# ${events} events in ${BATCHES} writes of ${BATCH}, ${STREAMS} streams, ${(jsonBytes / events).toFixed(0)} bytes of JSON per event; median of ${RUNS} runs`);

// Today's row-per-event COPY text, for comparison.
{
  const rates: number[] = [];
  let size = 0;
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    size = 0;
    for (const rs of input) size += eventLines(TENANT, rs).length;
    rates.push(events / ((performance.now() - t0) / 1000));
  }
  report('rows_encode', rates, `(${(size / events).toFixed(1)} bytes/event of COPY text, one row per event)`);
}

for (const codec of CODECS as readonly Codec[]) {
  const enc: number[] = [];
  let copyBytes = 0;
  let built: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    built = input.map((rs, b) => blockLines(TENANT, rs, `k${b}`, codec).lines);
    enc.push(events / ((performance.now() - t0) / 1000));
  }
  copyBytes = built.reduce((a, l) => a + l.length, 0);
  const blocks = built.flatMap(payloads);
  const stored = blocks.reduce((a, p) => a + p.bytes.length, 0);
  report(`blocks_encode_${codec}`, enc, `(${(copyBytes / events).toFixed(1)} bytes/event of COPY text, ${(stored / events).toFixed(1)} stored, ratio ${(jsonBytes / stored).toFixed(2)}, ${blocks.length} blocks)`);
  const dec: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    let n = 0;
    for (const p of blocks) n += decodeBlock(p.codec, p.bytes).length;
    if (n !== events) throw new Error(`decoded ${n} events, expected ${events}`);
    dec.push(events / ((performance.now() - t0) / 1000));
  }
  report(`blocks_decode_${codec}`, dec, '');
}

// The varied case's shape: frames of 100 events over 15 streams, built per frame vs per group commit.
// Rates per CPU second of this process (user + system), less sensitive than wall time to a loaded machine.
{
  const cpuSeconds = (c0: NodeJS.CpuUsage): number => { const d = process.cpuUsage(c0); return (d.user + d.system) / 1e6; };
  const FRAME = 100;
  const SMALL_STREAMS = 15;
  const all = input.flat().map((r, i) => ({ ...r, stream: `svc-${i % SMALL_STREAMS}` }));
  const frames: EventRecord[][] = [];
  for (let i = 0; i < all.length; i += FRAME) frames.push(all.slice(i, i + FRAME));
  const perFrame: number[] = [];
  let nBlocks = 0;
  for (let run = 0; run < RUNS; run++) {
    const c0 = process.cpuUsage();
    nBlocks = 0;
    for (let f = 0; f < frames.length; f++) nBlocks += blockLines(TENANT, frames[f], `k${f}`, 'brotli').blocks;
    perFrame.push(events / cpuSeconds(c0));
  }
  report('small_frames_per_frame', perFrame, `per CPU second (${nBlocks} blocks, ${(events / nBlocks).toFixed(1)} events/block)`);
  for (const G of [4, 16, 64]) {
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const c0 = process.cpuUsage();
      nBlocks = 0;
      for (let g = 0; g < frames.length; g += G) {
        const ws = frames.slice(g, g + G).map((rs, k) => ({ tenantId: TENANT, batchKey: `k${g + k}`, lines: '', parts: blockParts(rs, true).parts }));
        nBlocks += mergedBlockLines(ws, 'brotli').blocks;
      }
      rates.push(events / cpuSeconds(c0));
    }
    report(`small_frames_group_${G}`, rates, `per CPU second (${nBlocks} blocks, ${(events / nBlocks).toFixed(1)} events/block)`);
  }
}
