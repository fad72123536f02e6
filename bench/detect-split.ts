// bench/detect-split: the logs detector on the twelve unlabelled Loghub logs (as bench/detect's
// detect_logs_loghub_unlabeled: tasks of 1000 lines, encodeTask columns), by CPU time of this
// process (process.cpuUsage: less disturbed than wall time when other jobs share the cores), with
// the number of deflate calls the detector made (deflateRawSync's, and deflatedBits' own count where
// it drives zlib's handle directly; the compressor's work is fixed by the findings; everything
// else is the path's own cost).
//
// With --against DIR (another build's dist folder, e.g. from `git archive main`), both detectors
// run in this one process, alternating run by run, so both see the same load: medians and ratio.
//
//   node dist/bench/detect-split.js [--runs N] [--against /tmp/main/dist]
import zlib from 'node:zlib';
import { syncBuiltinESMExports } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import { encodeTask } from '../engine/transforms/score.js';
import type { EventRecord } from '../engine/types.js';

let calls = 0;
const real = zlib.deflateRawSync;
zlib.deflateRawSync = (buf: zlib.InputType, opts?: zlib.ZlibOptions) => {
  calls++;
  return real(buf, opts);
};
syncBuiltinESMExports();
type ScoreFn = typeof import('../workers/score.js').default;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
type DeflateModule = { deflateCalls?: number };
const variants: [string, ScoreFn, DeflateModule][] = [['this', (await import('../workers/score.js')).default, await import('../workers/detectors/deflate.js')]];
const against = arg('--against');
if (against !== undefined) {
  const fn = ((await import(resolve(against, 'workers', 'score.js'))) as { default: ScoreFn }).default;
  variants.push([against, fn, (await import(resolve(against, 'workers', 'detectors', 'deflate.js'))) as DeflateModule]);
}

const dir = join(packageRoot, '..', 'shared', 'datasets', 'logs', 'unlabeled');
const files = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
const streams = files.map((f) => readFileSync(join(dir, f), 'utf8').split(/\r?\n/).filter((l) => l.length > 0));
const lines = streams.reduce((a, s) => a + s.length, 0);
const tasks = streams.map((s) => {
  const out = [];
  for (let i = 0; i < s.length; i += 1000) {
    const recs = s.slice(i, i + 1000).map((text, k) => ({ ts: i + k, text, streamType: 'logs', metadataJson: null }) as unknown as EventRecord);
    const { events, columns } = encodeTask(recs);
    out.push({ events, columns });
  }
  return out;
});
const runs = Number(arg('--runs') ?? 7);
const rates = variants.map((): number[] => []);
for (let run = 0; run < runs; run++) {
  for (let v0 = 0; v0 < variants.length; v0++) {
    // Alternate which goes first.
    const v = (v0 + run) % variants.length;
    const score = variants[v][1];
    calls = -(variants[v][2].deflateCalls ?? 0);
    const t0 = process.cpuUsage();
    for (const ts of tasks) {
      let state: Uint8Array | null = null;
      for (const t of ts) {
        const r = score({ stream: 'bench', streamType: 'logs', state, ...t });
        if (!r.ok) throw new Error(r.message);
        state = r.state;
      }
    }
    const d = process.cpuUsage(t0);
    calls += variants[v][2].deflateCalls ?? 0;
    const rate = lines / ((d.user + d.system) / 1e6);
    rates[v].push(rate);
    console.log(`run ${run} ${variants[v][0]}: ${Math.round(rate)} lines/s of CPU, ${calls} deflate calls`);
  }
}
const med = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`detect_split_loghub_unlabeled: ${Math.round(med(rates[0]))} lines/s of CPU (median of ${runs})`);
if (variants.length > 1) console.log(`detect_split_loghub_unlabeled_against: ${Math.round(med(rates[1]))} lines/s of CPU (${variants[1][0]}); ratio of medians ${(med(rates[0]) / med(rates[1])).toFixed(3)}`);
