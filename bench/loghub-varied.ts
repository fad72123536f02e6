// The Loghub logs as the ingest benches feed them (ingest.bench.ts's varied case, ingest-stages,
// ingest-pipeline): each log its own stream, the streams interleaved line by line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitLabelToken, splitLines } from '../src/tools/eval/logs.js';

export interface LogStream { name: string; lines: string[] }

/** Loghub's 2k samples under DIR (BGL, HDFS, Thunderbird, unlabeled/*.log), one stream each; label tokens stripped. A string says why there are too few. */
export function loghubStreams(dir: string): LogStream[] | string {
  const labelled = [['BGL', 'BGL/BGL_2k.log', true], ['HDFS', 'HDFS/HDFS_2k.log', false], ['Thunderbird', 'Thunderbird/Thunderbird_2k.log', true]] as const;
  const out: LogStream[] = [];
  for (const [name, file, label] of labelled) {
    const p = join(dir, file);
    if (!existsSync(p)) continue;
    const raw = splitLines(readFileSync(p, 'utf8'));
    out.push({ name, lines: label ? splitLabelToken(raw).texts : raw });
  }
  const un = join(dir, 'unlabeled');
  if (existsSync(un)) {
    for (const f of readdirSync(un).filter((x) => x.endsWith('.log')).sort()) out.push({ name: f.replace(/(_2k)?\.log$/, ''), lines: splitLines(readFileSync(join(un, f), 'utf8')) });
  }
  if (out.length < 12) return `${out.length} Loghub logs under ${dir} (12 or more needed: BGL, HDFS, Thunderbird, unlabeled/*.log)`;
  return out;
}

/**
 * The streams' lines as events of stream `loghub-<name>`, interleaved line by line (as one
 * shipper multiplexes its sources); event time 10 ms per line from 2026-01-01.
 */
export function variedEvents(streams: LogStream[]): object[] {
  const t0 = Date.UTC(2026, 0, 1);
  const all: object[] = [];
  const longest = Math.max(...streams.map((s) => s.lines.length));
  for (let i = 0; i < longest; i++) {
    for (const s of streams) {
      if (i >= s.lines.length) continue;
      all.push({ timestamp: new Date(t0 + all.length * 10).toISOString(), stream_type: 'logs', stream: `loghub-${s.name}`, data: s.lines[i] });
    }
  }
  return all;
}

/** The events as WebSocket frames of 100 (`{"seq":n,"events":[...]}`), the frames ingest-stages and ingest-pipeline time. */
export function variedFrames(dir: string): Buffer[] {
  const streams = loghubStreams(dir);
  if (typeof streams === 'string') throw new Error(`${streams} (set LOGHUB_DIR)`);
  const all = variedEvents(streams);
  const out: Buffer[] = [];
  for (let i = 0; i + 100 <= all.length; i += 100) out.push(Buffer.from(`{"seq":${i / 100},"events":${JSON.stringify(all.slice(i, i + 100))}}`));
  return out;
}
