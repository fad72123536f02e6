// bench/state-size: the bytes one log stream's detector state takes (issue 11: "state per log
// stream stays bounded"), what the engine checkpoints to PostgreSQL (detector_states.state and
// .session_state) and hands from task to task, and the heap of the live scorer a worker keeps.
//
//   case's lines ─► score() in tasks of 1000 (state and sessionState carried) ─► state bytes,
//   the largest parts of the logs state (t: text baseline/quarantine/mix, m: templates, s: slot
//   statistics, r: rates, md: metadata, k: pooled keys, p: prose), the session state, heap
//
// Cases: 10k templates of realistic lines; hostile: 64 KiB lines (each a new template), slot
// values of 1 KiB and of 64 characters (every value new, many templates), long session ids; the
// text side's hostile cases (bench/state-hostile.ts: escaped lines, unique prose, patterns that
// become common, new quarantine keys, long metadata names and values, long key names, an llm
// stream of huge vocabularies); each Loghub log as one stream. One line per case; the parts
// t.base, t.q, t.mix (text detector), p.dict, p.tk (prose), md, k are shown on their own.
//
// Run: npm run build && node --expose-gc dist/bench/state-size.js [--only NAME | --events F.ndjson]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import score from '../workers/score.js';
import { scoreLogs } from '../workers/detectors/logs.js';
import type { ScoreInput } from '../workers/types.js';
import { letterWord, prng } from '../src/tools/demo/synthetic.js';
import { TEXT_CASES } from './state-hostile.js';

const gc = (globalThis as { gc?: () => void }).gc;
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const DATA = process.env.LOGS_DIR ?? '../shared/datasets/logs';

/** A string of n random lower-case letters and digits (a hostile unique value). */
function blob(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(r() * 36)];
  return s;
}

const SERVICES = ['auth', 'billing', 'cart', 'search', 'orders', 'payments', 'gateway', 'users'];
const VERBS = ['GET', 'POST', 'PUT', 'DELETE'];

/** 10,000+ templates of realistic lines: level, service, a message of words per template, route, status, latency, a user id. */
function* templates10k(): Iterable<ScoreInput> {
  const r = prng(11);
  const T = 10_500;
  for (let i = 0; i < 31_500; i++) {
    const t = i < T ? i : Math.floor(r() * T);
    const msg = `${letterWord(t)} ${letterWord(t * 7 + 3)} ${letterWord(t * 13 + 5)} handled`;
    const status = [200, 200, 200, 201, 404][Math.floor(r() * 5)];
    yield { ts: 1_700_000_000_000 + i * 50, text: `2026-12-05T10:00:${String(i % 60).padStart(2, '0')}.123Z INFO ${SERVICES[t % 8]} ${msg} ${VERBS[t % 4]} /api/${letterWord(t % 500)}/items status=${status} ms=${Math.round(5 + r() * 80)} user=u${Math.floor(r() * 1e6)}` };
  }
}

/** Lines of 64 KiB, each of words never seen (every line a new template). */
function* hostileLong(): Iterable<ScoreInput> {
  const r = prng(12);
  for (let i = 0; i < 400; i++) {
    let text = `ERROR ${letterWord(i + 1000)} `;
    while (text.length < 65_536) text += `${letterWord(Math.floor(r() * 1e9))} `;
    yield { ts: 1_700_000_000_000 + i * 1000, text: text.slice(0, 65_536) };
  }
}

/** Distinct 1 KiB values in the slots of a few templates. */
function* hostileSlots1k(): Iterable<ScoreInput> {
  const r = prng(13);
  for (let i = 0; i < 20_000; i++) {
    const t = i % 20;
    yield { ts: 1_700_000_000_000 + i * 10, text: `INFO ${letterWord(t)} request region=${blob(r, 1024)} tag=${blob(r, 1024)} id=${blob(r, 1024)}`, metadata: { region: blob(r, 1024), [`f${i % 40}`]: blob(r, 1024) } };
  }
}

/** Every slot value new and as long as a slot keeps (64 characters), over thousands of templates with many slots. */
function* hostileSlots64(): Iterable<ScoreInput> {
  const r = prng(14);
  for (let i = 0; i < 60_000; i++) {
    const t = i % 6000;
    let text = `WARN ${letterWord(t + 100)} ${letterWord(t * 3 + 7)}`;
    for (let k = 0; k < 12; k++) text += ` ${letterWord(k)}=${blob(r, 60)}`;
    yield { ts: 1_700_000_000_000 + i * 10, text };
  }
}

/** Long, always new session ids (request_id=…) on lines of a few templates. */
function* hostileSessions(): Iterable<ScoreInput> {
  const r = prng(15);
  const ids: string[] = [];
  for (let i = 0; i < 30_000; i++) {
    if (i % 3 === 0 || ids.length === 0) ids.push(blob(r, 1024));
    const id = ids[Math.floor(r() * ids.length)];
    yield { ts: 1_700_000_000_000 + i * 10, text: `INFO step ${letterWord(i % 50)} done request_id=${id}` };
  }
}

function* loghubFile(path: string): Iterable<ScoreInput> {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  for (let i = 0; i < lines.length; i++) yield { ts: 1_700_000_000_000 + i * 100, text: lines[i] };
}

/** Every Loghub log, one stream each. */
function loghubFiles(): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  for (const dir of ['BGL', 'HDFS', 'Thunderbird', 'unlabeled']) {
    let names: string[];
    try {
      names = readdirSync(join(DATA, dir));
    } catch {
      continue;
    }
    for (const f of names.sort()) if (f.endsWith('.log')) out.push({ name: `loghub_${f.replace(/\.log$/, '')}`, path: join(DATA, dir, f) });
  }
  return out;
}

const enc = new TextEncoder();
const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

const json = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');

/** The state's parts and their bytes, the text detector's (t) and the prose detector's (p) split into their tables. */
function partsOf(o: Record<string, unknown>): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(o)) {
    if (k === 'v' || k === 'kind') continue;
    if ((k === 't' || k === 'p') && v !== null && typeof v === 'object') {
      const sub = v as Record<string, unknown>;
      const split = k === 't' ? ['base', 'q', 'mix'] : ['dict', 'tk', 'nulls', 'sg'];
      for (const s of split) out.push([`${k}.${s}`, json(sub[s])]);
      out.push([`${k}.rest`, json(v) - split.reduce((a, s) => a + json(sub[s]), 0)]);
    } else out.push([k, json(v)]);
  }
  return out;
}

function run(name: string, lines: Iterable<ScoreInput>, streamType: 'logs' | 'llm' = 'logs'): void {
  let state: Uint8Array | null = null;
  let sessionState: Uint8Array | null = null;
  let batch: ScoreInput[] = [];
  let n = 0;
  let findings = 0;
  let peak = 0;
  const flush = (): void => {
    const r = score({ stream: name, streamType, state, sessionState, events: enc.encode(JSON.stringify(batch)) });
    if (!r.ok) throw new Error(r.message);
    state = r.state;
    sessionState = r.sessionState ?? null;
    findings += r.findings.length;
    peak = Math.max(peak, state.byteLength + (sessionState?.byteLength ?? 0));
    batch = [];
  };
  for (const e of lines) {
    batch.push(e);
    n++;
    if (batch.length === 1000) flush();
  }
  if (batch.length > 0) flush();
  const st = state as unknown as Uint8Array;
  const parsed = JSON.parse(Buffer.from(st).toString('utf8')) as Record<string, unknown> & { m?: { t: unknown[] } };
  const parts = (streamType === 'llm' ? partsOf({ p: parsed }) : partsOf(parsed))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([k, b]) => `${k} ${kib(b)}`)
    .join(', ');
  let heap = '';
  if (gc !== undefined && streamType === 'logs') {
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept = scoreLogs(st, [], undefined, 0.5, `${name}-probe`);
    gc();
    heap = `, live scorer heap ${((process.memoryUsage().heapUsed - before - kept.state.byteLength) / 1e6).toFixed(1)} MB`;
  }
  const ses = sessionState === null ? 0 : (sessionState as Uint8Array).byteLength;
  const what = streamType === 'llm' ? 'prose state' : `${parsed.m?.t.length} templates, logs state`;
  console.log(`state_size_${name}: ${n} lines, ${what} ${kib(st.byteLength)} (${parts}), session state ${kib(ses)}, total ${kib(st.byteLength + ses)} (peak ${kib(peak)}), ${findings} findings${heap}`);
}

const CASES: [string, 'logs' | 'llm', () => Iterable<ScoreInput>][] = [
  ['templates_10k', 'logs', templates10k],
  ['hostile_long_lines', 'logs', hostileLong],
  ['hostile_slot_values_1k', 'logs', hostileSlots1k],
  ['hostile_slot_values_64', 'logs', hostileSlots64],
  ['hostile_session_ids', 'logs', hostileSessions],
  ...TEXT_CASES,
  ...loghubFiles().map(({ name, path }): [string, 'logs', () => Iterable<ScoreInput>] => [name, 'logs', () => loghubFile(path)]),
];
// --events F.ndjson (as `driftwatch eval generate` writes them): each of its streams as a case.
const file = process.argv.includes('--events') ? process.argv[process.argv.indexOf('--events') + 1] : undefined;
if (file !== undefined) {
  const streams = new Map<string, { type: 'logs' | 'llm'; lines: ScoreInput[] }>();
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (l === '') continue;
    const e = JSON.parse(l) as { timestamp: string; stream: string; stream_type: string; data: string; metadata?: Record<string, unknown> };
    let st = streams.get(e.stream);
    if (st === undefined) streams.set(e.stream, (st = { type: e.stream_type === 'llm' ? 'llm' : 'logs', lines: [] }));
    st.lines.push({ ts: Date.parse(e.timestamp), text: e.data, ...(e.metadata !== undefined ? { metadata: e.metadata } : {}) });
  }
  for (const [name, { type, lines }] of streams) run(`events_${name.replace(/[^A-Za-z0-9]+/g, '_')}`, lines, type);
} else for (const [name, type, gen] of CASES) if (only === undefined || name.includes(only)) run(name, gen(), type);
