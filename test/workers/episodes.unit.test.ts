// A template's history in episodes (logs-episodes.ts): a warning that recurs all day in small
// clusters is a habit, and its lines without an explicit error level are normal; a warning whose
// history is one long burst stays rare, and its lone returns are reported. Both fail on main
// e39863b: the retry warning's lines are reported one by one all day (compression_surprise
// `rare` and `novel`), and the time-limit warning's returns after its burst are silent.
import { describe, expect, it } from 'vitest';
import { LineSeverity, statedLevel } from '../../workers/detectors/text-words.js';
import { RARITY_DETECTOR } from '../../workers/detectors/logs.js';
import { TEXT_DETECTOR } from '../../workers/detectors/text.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

describe('statedLevel', () => {
  it.each([
    ['{"ts":"2026-08-22T06:28:04.983Z","level":"warn","logger":"ingest.consumer","msg":"handler returned retryable error, backing off"}', 'warn'],
    ["[2026-08-22 07:13:40,058: INFO/MainProcess] Task tasks.deliver_webhook[39265cd8] retry: Retry in 60s: HTTPError('503 Server Error: Service Unavailable')", 'low'],
    ['2026-08-24 11:28:02.794686+00:00 [error] <0.29921.0> Channel error on connection <0.14078.0>', 'error'],
    ['[2026-08-22 08:45:13,797: WARNING/MainProcess] Soft time limit (300s) exceeded for tasks.sync_crm[d13a53c3]', 'warn'],
    ['- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL FATAL data TLB error interrupt', 'error'],
    ['- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected', 'low'],
    ['ts=2026-08-22T07:00:00.065Z level=error caller=scheduler/lease.go:97 msg="lost leader lease"', 'error'],
    ['<28>1 2026-07-25T22:44:41.339298+00:00 web-01 rsyncd 77 - - connection to backup-01 timed out', 'warn'],
    ['handler returned retryable error, backing off', ''],
  ])('%s → %s', (line, want) => {
    expect(statedLevel(line)).toBe(want);
    expect(new LineSeverity().of(line).stated).toBe(want);
  });
});

const T0 = Date.UTC(2026, 7, 22, 6);
const MIN = 60_000;
const uuid = (r: ReturnType<typeof seeded>): string => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-8${r.hex(3)}-${r.hex(12)}`;
const stamp = (t: number): string => `[${new Date(t).toISOString().slice(0, 19).replace('T', ' ')},${String(t % 1000).padStart(3, '0')}`;
const info = (r: ReturnType<typeof seeded>, t: number): string => `${stamp(t)}: INFO/MainProcess] Task tasks.${r.pick(['send_email', 'resize_image', 'render_invoice'])}[${uuid(r)}] received`;

/** A Go consumer's JSON line for a processed message (fresh offsets, keys, durations). */
const processed = (r: ReturnType<typeof seeded>, t: number): string =>
  JSON.stringify({ ts: new Date(t).toISOString(), level: 'info', logger: 'ingest.consumer', msg: 'message processed', member: `ingest-${r.pick(['bfgm', 'zaec', 'vqew'])}`, topic: r.pick(['orders', 'payments', 'clickstream']), partition: r.int(0, 11), offset: r.int(1e6, 9e6), key: `ord_${r.hex(12)}`, duration_ms: r.int(10, 400) / 10, lag: r.int(0, 30) });

/** Four hours (`minutes`) of a worker's routine lines (`routine`: Celery's by default) every 1-4 s (`step`), with the lines `extra` gives at their times (index of each kept). */
function stream(extra: [number, (t: number) => string][], routine = info, step: [number, number] = [1000, 4000], minutes = 240): { ev: ScoreInput[]; at: number[] } {
  const r = seeded(20);
  const ev: ScoreInput[] = [];
  const at: number[] = [];
  const todo = [...extra].sort((a, b) => a[0] - b[0]);
  for (let t = T0; t < T0 + minutes * MIN; t += r.int(step[0], step[1])) {
    while (todo.length > 0 && todo[0][0] <= t) {
      const [when, make] = todo.shift() as [number, (t: number) => string];
      at.push(ev.length);
      ev.push({ ts: when, text: make(when) });
    }
    ev.push({ ts: t, text: routine(r, t) });
  }
  return { ev, at };
}

describe('a template counted in episodes', () => {
  it('a retry warning that recurs all day in small clusters is a habit: its lines are normal after its first episodes (main: 48 of 55 reported)', () => {
    const r = seeded(7);
    const retry = (t: number): string =>
      JSON.stringify({ ts: new Date(t).toISOString(), level: 'warn', logger: 'ingest.consumer', msg: 'handler returned retryable error, backing off', member: `ingest-${r.pick(['bfgm', 'zaec', 'vqew'])}`, offset: r.int(1e6, 9e6), attempt: r.int(2, 4), error: r.pick(['psp: context deadline exceeded', 'psp: 503 Service Unavailable']) });
    const times: [number, (t: number) => string][] = [];
    for (let t = T0 + 10 * MIN; t < T0 + 235 * MIN; t += 2 * MIN + r.int(0, 4 * MIN)) times.push([t, retry]);
    const { ev, at } = stream(times, processed);
    const { findings } = runStream('logs', ev, 100);
    // The miner keeps its two error texts apart: two templates, each a habit after its first five episodes (by about 90 min).
    const late = new Set(at.filter((i) => ev[i].ts >= T0 + 110 * MIN));
    const reported = findings.filter((f) => late.has(f.index) && f.detector === TEXT_DETECTOR);
    expect(late.size).toBeGreaterThan(25);
    expect(reported.length).toBe(0);
  });

  it('a warning whose history is one long burst stays rare: its lone returns are reported', () => {
    const limit = (t: number): string => `${stamp(t)}: WARNING/MainProcess] Soft time limit (300s) exceeded for tasks.sync_crm[${uuid(seeded(t))}]`;
    const times: [number, (t: number) => string][] = [[T0 + 40 * MIN, limit]];
    for (let k = 0; k < 90; k++) times.push([T0 + 80 * MIN + k * 1000, limit]);
    const lone = [130, 160, 190, 220].map((m) => T0 + m * MIN);
    for (const t of lone) times.push([t, limit]);
    const { ev, at } = stream(times);
    const { findings } = runStream('logs', ev, 100);
    const returns = at.slice(-lone.length);
    const found = returns.filter((i) => findings.some((f) => f.index === i && f.detector === RARITY_DETECTOR));
    expect(found.length).toBe(lone.length);
  });

  it('a warning present all along (a line every few seconds) is no rare return when it first pauses for a minute or two (main: each pause reported until its fifth episode)', () => {
    const r = seeded(11);
    const retry = (t: number): string => JSON.stringify({ ts: new Date(t).toISOString(), level: 'warn', logger: 'checkout.inventory', msg: 'retrying inventory reservation', sku: `SKU-${r.int(1000, 9999)}`, attempt: r.int(2, 3) });
    const times: [number, (t: number) => string][] = [];
    // Every 5-25 s for 35 minutes, with a storm of 60 lines in it; then every 20 s to 2.5 min.
    for (let t = T0 + 5 * MIN; t < T0 + 40 * MIN; t += 5000 + r.int(0, 20_000)) times.push([t, retry]);
    for (let k = 0; k < 60; k++) times.push([T0 + 12 * MIN + k * 500, retry]);
    for (let t = T0 + 40 * MIN + 90_000; t < T0 + 120 * MIN; t += 20_000 + r.int(0, 130_000)) times.push([t, retry]);
    const { ev } = stream(times, processed);
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.detector === RARITY_DETECTOR)).toEqual([]);
  });

  it('a warning whose history is one long burst stays news when it comes back every few minutes for an hour (main: a habit after its fifth return)', () => {
    const limit = (t: number): string => `${stamp(t)}: WARNING/MainProcess] Soft time limit (300s) exceeded for tasks.sync_crm[${uuid(seeded(t))}]`;
    const times: [number, (t: number) => string][] = [];
    for (let k = 0; k < 90; k++) times.push([T0 + 40 * MIN + k * 1000, limit]);
    const lone = Array.from({ length: 10 }, (_, k) => T0 + (50 + 9 * k) * MIN);
    for (const t of lone) times.push([t, limit]);
    // A busy worker (a line every 0.2-0.6 s): about 1,000 lines between returns, so the text detector still finds each one rare.
    const { ev, at } = stream(times, info, [200, 600], 150);
    const { findings } = runStream('logs', ev, 100);
    const returns = at.slice(-lone.length);
    expect(returns.filter((i) => findings.some((f) => f.index === i))).toEqual(returns);
  });
});
