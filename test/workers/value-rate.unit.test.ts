// A burst of one value of a JSON record's field, spread over many templates (value-rate.ts): an
// audit log's denied calls, each API its own template, none bursting on its own; what they share
// is errorCode = AccessDenied. Fails before the value rate (no finding names a field's value:
// the storm's templates are new or thin, and its family test never sees them together).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const ACTORS = ['app-task', 'renderer', 'scheduler', 'alice', 'bob'];
const CALLS = ['DescribeInstances', 'GetSecretValue', 'Decrypt', 'GetParameter', 'ListBuckets', 'AssumeRole'];
const PROBES = ['ListUsers', 'ListRoles', 'ListPolicies', 'ListKeys', 'ListSecrets', 'DescribeVpcs', 'ListTables', 'ListFunctions', 'DescribeOrganization', 'ListClusters', 'GetAccount', 'ListTopics'];

function record(r: ReturnType<typeof seeded>, t: number, actor: string, name: string, params: Record<string, unknown>, error?: string): string {
  return JSON.stringify({ eventTime: new Date(t).toISOString(), actor, eventName: name, requestID: `${r.hex(8)}-${r.hex(4)}`, region: 'eu-west-1', ...(error === undefined ? {} : { errorCode: error, errorMessage: `${actor} is not authorized to perform ${name}` }), requestParameters: params });
}

/** Two hours of calls (a denied one now and then), and with `storm` 40 denied calls of 12 APIs in 30 s. */
function stream(storm: boolean, hourly = false): { ev: ScoreInput[]; at: number[] } {
  const r = seeded(5);
  const ev: ScoreInput[] = [];
  for (let t = T0; t < T0 + 7_200_000; t += 500 + r.int(0, 1500)) {
    const name = r.pick(CALLS);
    ev.push({ ts: t, text: record(r, t, r.pick(ACTORS), name, { [`${name.toLowerCase()}Id`]: r.hex(8) }, r.chance(0.002) ? 'AccessDenied' : undefined) });
  }
  // A job that sends 30 calls in 15 s every 40 minutes: bursts of its value, no larger than before.
  if (hourly) for (let h = T0 + 600_000; h < T0 + 7_200_000; h += 2_400_000) for (let j = 0; j < 30; j++) ev.push({ ts: h + j * 500, text: record(r, h + j * 500, 'nightly-job', r.pick(PROBES), { pageSize: 100 }) });
  const at: number[] = [];
  const from = T0 + 5_400_000;
  if (storm) for (let j = 0; j < 40; j++) ev.push({ ts: from + j * 750 + 1, text: record(r, from + j * 750 + 1, 'legacy-backup', r.pick(PROBES), { maxResults: 1000 }, 'AccessDenied') });
  ev.sort((a, b) => a.ts - b.ts);
  if (storm) ev.forEach((e, i) => { if ((e.text ?? '').includes('legacy-backup')) at.push(i); });
  return { ev, at };
}

const valueBursts = (findings: { detector: string; explanation: string; index: number }[]): typeof findings =>
  findings.filter((f) => f.detector === 'template_rate' && f.explanation.startsWith('Field "'));

describe('a burst of one value of a JSON field, over many templates', () => {
  it('is reported on most of its lines, naming the field and value', () => {
    const { ev, at } = stream(true);
    expect(at.length).toBe(40);
    const found = valueBursts(runStream('logs', ev, 100).findings).filter((f) => at.includes(f.index));
    expect(found.length).toBeGreaterThanOrEqual(30);
    expect(found.some((f) => /^Field "(errorCode|actor)" = "(AccessDenied|legacy-backup)"/.test(f.explanation))).toBe(true);
  });

  it('while the same records at their usual rate are none', () => {
    expect(valueBursts(runStream('logs', stream(false).ev, 100).findings)).toEqual([]);
  });

  it('and a value that comes in bursts no larger than its first is reported at most at its first', () => {
    const { ev } = stream(false, true);
    const found = valueBursts(runStream('logs', ev, 100).findings);
    const second = T0 + 600_000 + 2_400_000;
    expect(found.filter((f) => ev[f.index].ts >= second)).toEqual([]);
  });
});

describe('a slow burst of a value (3 lines a window, under the window test and too spread for the scan)', () => {
  it('is reported once its decayed count over a minute is far above the value\'s usual rate (fails before slowTest: no finding counts a minute)', () => {
    const r = seeded(9);
    const ev: ScoreInput[] = [];
    for (let t = T0; t < T0 + 7_200_000; t += 500 + r.int(0, 1500)) {
      const name = r.pick(CALLS);
      ev.push({ ts: t, text: record(r, t, r.pick(ACTORS), name, { [`${name.toLowerCase()}Id`]: r.hex(8) }, r.chance(0.002) ? 'AccessDenied' : undefined) });
    }
    // 30 denied calls 3.3 s apart (100 s), from an actor whose calls are otherwise common.
    const from = T0 + 5_400_000;
    for (let j = 0; j < 30; j++) ev.push({ ts: from + j * 3300 + 1, text: record(r, from + j * 3300 + 1, r.pick(ACTORS), r.pick(PROBES), { maxResults: 1000 }, 'AccessDenied') });
    ev.sort((a, b) => a.ts - b.ts);
    const at = ev.flatMap((e, i) => ((e.text ?? '').includes('"maxResults"') ? [i] : []));
    const found = valueBursts(runStream('logs', ev, 100).findings).filter((f) => at.includes(f.index));
    // Found from its ~12th line on, until the burst's windows have taught the value a higher rate (5 of 30 lines).
    expect(found.length).toBeGreaterThanOrEqual(5);
    expect(found.some((f) => /^Field "errorCode" = "AccessDenied".* within 60\.0 s/.test(f.explanation))).toBe(true);
  });
});

describe('value records in the state', () => {
  it('are bounded and do not depend on the split into tasks', async () => {
    const { VALUE_RATE_PARAMS } = await import('../../workers/detectors/value-rate.js');
    const { loadState } = await import('../../workers/detectors/logs-state.js');
    const r = seeded(3);
    // 300 keys, each with values from a set of 40 (past maxPerKey: wide) or 4.
    const ev: ScoreInput[] = Array.from({ length: 3000 }, (_, i) => ({ ts: T0 + i * 700, text: JSON.stringify(Object.fromEntries(Array.from({ length: 12 }, () => { const k = r.int(0, 299); return [`k${k}`, `v${r.int(0, k % 2 === 0 ? 39 : 3)}`]; }))) }));
    const one = runStream('logs', ev, 3000).state;
    const many = runStream('logs', ev, 77).state;
    expect(Buffer.from(one as Uint8Array).equals(Buffer.from(many as Uint8Array))).toBe(true);
    const s = loadState(one);
    expect(Object.keys(s.vk ?? {}).length).toBeLessThanOrEqual(VALUE_RATE_PARAMS.maxKeys);
    expect(Object.keys(s.vr ?? {}).length).toBeLessThanOrEqual(VALUE_RATE_PARAMS.maxRecords);
    expect(Object.values(s.vk ?? {}).filter((n) => n === -1).length).toBeGreaterThan(0);
  });
});

describe('the value records at their largest', () => {
  it('fit VALUE_BUDGET (256 records of 130-byte words at the budget widths, 64 keys of 66 bytes)', async () => {
    const { VALUE_BUDGET } = await import('../../workers/detectors/budget.js');
    const { VALUE_RATE_PARAMS: P, VALUE_RECORD_LEN } = await import('../../workers/detectors/value-rate.js');
    const word = (i: number): string => `${'k'.repeat(60)}${String(i).padStart(4, '0')}=${'v'.repeat(P.maxWordBytes - 2 - 65)}`;
    // RATE_LEN numbers, the storm's largest window, the slow count and its time, the usual rate before a slow burst and its start,
    // the mean of raw counts (RAW_MEAN): 22, as a record holds them (this test held 21 until 7 Dec 2026, 99,827 bytes at 22 with 96 KiB).
    const rec = [1_789_790_400_000, 1_234_567_890, 1.23456e-7, 1_234_567_890, 1.23456e-7, 1_789_790_400_000, 86_400_000, 86_400_000, 86_400_000, 86_400_000, 12.34, 1, 1_234_567_890, 1234.56, 1_234_567_890, 1, 1_234_567_890, 1234.5678, 1_789_790_400_000, 1.23456e-7, 1_789_790_400_000, 1.23456e-7];
    expect(rec.length).toBe(VALUE_RECORD_LEN);
    const vr = Object.fromEntries(Array.from({ length: P.maxRecords }, (_, i) => [word(i), rec]));
    const key = (i: number): string => `${'k'.repeat(60)}${String(i).padStart(4, '0')}`;
    const vk = Object.fromEntries(Array.from({ length: P.maxKeys }, (_, i) => [key(i), -1]));
    const vn = Object.fromEntries(Array.from({ length: P.maxKeys }, (_, i) => [key(i), 1_789_790_400_000]));
    expect(Buffer.byteLength(word(0))).toBe(P.maxWordBytes - 2);
    const vc = [1_789_790_400_000, 1234.56];
    expect(Buffer.byteLength(JSON.stringify({ vr, vk, vn, vc }))).toBeLessThanOrEqual(VALUE_BUDGET);
  });
});
