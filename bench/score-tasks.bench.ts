// bench/score-tasks: what the scorer's task sizing costs, apart from ingest and PostgreSQL.
//
//   the Loghub logs (15 streams, interleaved line by line, as bench/ingest's varied case)
//     ──frames of 100 at a fixed offered rate──► Scorer.push (the engine's scorer, real detector
//     worker threads) ──► drain ──► CPU of this process (main + worker threads) per event
//
// At a rate the detector keeps up with, tasks are as small as what arrives between two of a
// stream's tasks; each task has a fixed cost (the detector state decoded and encoded, the
// hand-over). One line per setting: `score_tasks wait W ms min M: cpu X µs/event, T tasks (E
// events/task), scored N in S s`. CPU time is far less skewed by other work on the host than
// wall time; compare settings within one run (they alternate).
// Run: npx tsc -p tsconfig.json && LOGHUB_DIR=../shared/datasets/logs node dist/bench/score-tasks.bench.js [--rate 20000] [--seconds 6] [--threads 1]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/core/log.js';
import { splitLabelToken, splitLines } from '../src/tools/eval/logs.js';
import { Scorer } from '../engine/transforms/score.js';
import type { EventRecord } from '../engine/types.js';

function num(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i === -1 ? dflt : Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`--${name} must be a positive number`);
  return n;
}

function loghub(dir: string): EventRecord[] {
  const files: [string, string, boolean][] = [['BGL', 'BGL/BGL_2k.log', true], ['HDFS', 'HDFS/HDFS_2k.log', false], ['Thunderbird', 'Thunderbird/Thunderbird_2k.log', true]];
  const un = join(dir, 'unlabeled');
  if (existsSync(un)) for (const f of readdirSync(un).filter((x) => x.endsWith('.log')).sort()) files.push([f.replace(/(_2k)?\.log$/, ''), join('unlabeled', f), false]);
  const streams = files.filter(([, f]) => existsSync(join(dir, f))).map(([name, f, label]) => {
    const raw = splitLines(readFileSync(join(dir, f), 'utf8'));
    return { name, lines: label ? splitLabelToken(raw).texts : raw };
  });
  if (streams.length < 12) throw new Error(`${streams.length} Loghub logs under ${dir} (12 or more needed)`);
  const out: EventRecord[] = [];
  const longest = Math.max(...streams.map((s) => s.lines.length));
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < longest; i++) {
    for (const s of streams) {
      if (i >= s.lines.length) continue;
      const text = s.lines[i];
      out.push({ stream: `loghub-${s.name}`, streamType: 'logs', ts: t0 + out.length * 10, dataJson: JSON.stringify(text), metadataJson: null, explicitStream: true, text, value: undefined, bytes: text.length });
    }
  }
  return out;
}

async function once(events: EventRecord[], rate: number, seconds: number, threads: number, waitMs: number, minEvents: number): Promise<string> {
  const scorer = new Scorer(silentLogger, { threads, maxTaskWaitMs: waitMs, minTaskEvents: minEvents, onAnomalies: async () => {} });
  // Warm-up (outside the measure): the worker started, every stream's first task done.
  scorer.push('t', events.slice(0, 3000));
  await scorer.drain();
  const FRAME = 100;
  const frames = Math.floor((rate * seconds) / FRAME);
  const cpu0 = process.cpuUsage();
  const tasks0 = scorer.stats.tasksRun;
  const scored0 = scorer.stats.eventsScored;
  const start = performance.now();
  let at = 3000;
  for (let f = 0; f < frames; f++) {
    // Offered at the rate: frame f is pushed at start + f × FRAME / rate.
    const due = start + (f * FRAME * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (at + FRAME > events.length) at = 0;
    // Times go on rising over repeats of the corpus (event time matters to the rate detector).
    const base = (f * FRAME + 3000) * 10 + Date.UTC(2026, 0, 1);
    scorer.push('t', events.slice(at, at + FRAME).map((e, i) => ({ ...e, ts: base + i * 10 })));
    at += FRAME;
  }
  await scorer.drain();
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const scored = scorer.stats.eventsScored - scored0;
  const tasks = scorer.stats.tasksRun - tasks0;
  await scorer.close();
  return `score_tasks wait ${waitMs} ms min ${minEvents}: cpu ${((cpu.user + cpu.system) / scored).toFixed(1)} µs/event, ${tasks} tasks (${Math.round(scored / tasks)} events/task), scored ${scored} in ${wall.toFixed(1)} s (offered ${rate}/s for ${seconds} s)`;
}

const dir = process.env.LOGHUB_DIR ?? '../shared/datasets/logs';
const events = loghub(dir);
const rate = num('rate', 20_000);
const seconds = num('seconds', 6);
const threads = num('threads', 1);
console.log(`# bench/score-tasks: ${events.length} Loghub events, ${threads} detector thread(s); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (let r = 0; r < 2; r++) {
  for (const [w, m] of r === 0 ? [[0, 1], [50, 1000], [200, 1000]] : [[200, 1000], [50, 1000], [0, 1]]) console.log(await once(events, rate, seconds, threads, w, m));
}
