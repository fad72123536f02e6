// Value bursts of an audit log's actors (value-rate.ts, branch cloud13):
//   - an identity with a fresh session id on every call (`assumed-role/app-task/<32 hex>`) is one
//     value (valueClass), so the key stays categorical and a person's identity beside it has a
//     rate of its own: a person's burst of ordinary calls is a burst of their identity (fails
//     before valueClass: the sessions made the key wide, its records dropped, nothing reported);
//   - a job's usual burst explains the bursts of the values it carries (coverShare): its region,
//     shared with others and whose peak has decayed since its last run, is not reported (fails
//     before: the region's burst was reported at every run);
//   - a slow burst is judged against the value's rate from before it (slowHoldMs): reported on
//     most of its lines (fails before: the burst's own windows taught the value its rate, 5 of 30).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { valueClass } from '../../workers/detectors/value-rate.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const CALLS = ['DescribeInstances', 'GetSecretValue', 'Decrypt', 'GetParameter', 'ListBuckets', 'AssumeRole'];
const PEOPLE = ['alice', 'bob', 'carol', 'dan'];

function record(r: ReturnType<typeof seeded>, t: number, arn: string, name: string, region = 'eu-west-1', error?: string): string {
  return JSON.stringify({ eventTime: new Date(t).toISOString(), userIdentity: { arn }, eventName: name, requestID: `${r.hex(8)}-${r.hex(4)}`, awsRegion: region, ...(error === undefined ? {} : { errorCode: error }), requestParameters: { [`${name.toLowerCase()}Id`]: r.hex(8) } });
}

/** Two hours of an app's calls (a fresh session each) and people's (their own names). */
function calls(seed: number, usEast = 0): ScoreInput[] {
  const r = seeded(seed);
  const ev: ScoreInput[] = [];
  for (let t = T0; t < T0 + 7_200_000; t += 500 + r.int(0, 1500)) {
    const arn = r.chance(0.8) ? `arn:aws:sts::418272790193:assumed-role/app-task/${r.hex(32)}` : `arn:aws:sts::418272790193:assumed-role/AWSReservedSSO_PowerUser_0f3a9c2b11d4e5f6/${r.pick(PEOPLE)}@example.com`;
    ev.push({ ts: t, text: record(r, t, arn, r.pick(CALLS), r.chance(usEast) ? 'us-east-1' : 'eu-west-1') });
  }
  return ev;
}

const valueBursts = (findings: { detector: string; explanation: string; index: number }[]): typeof findings =>
  findings.filter((f) => f.detector === 'template_rate' && f.explanation.startsWith('Field "'));

describe('valueClass', () => {
  it('makes the id runs of a value one class, and keeps codes and names', () => {
    const w = 'userIdentity.arn=arn:aws:sts::418272790193:assumed-role/KarpenterControllerRole-prod/1700000000123456789';
    expect(valueClass(w, w.indexOf('='))).toBe('userIdentity.arn=arn:aws:sts::#:assumed-role/KarpenterControllerRole-prod/#');
    const p = 'userIdentity.arn=arn:aws:sts::418272790193:assumed-role/AWSReservedSSO_PowerUser_0f3a9c2b11d4e5f6/erin@example.com';
    expect(valueClass(p, p.indexOf('='))).toBe('userIdentity.arn=arn:aws:sts::#:assumed-role/AWSReservedSSO_PowerUser_#/erin@example.com');
    // A hex id that begins with 6 digits is one run, not digits and a tail.
    expect(valueClass('s=atlantis-123456e0', 1)).toBe('s=atlantis-#');
    for (const x of ['sqlstate=23505', 'bytesRead=1234567', 'session=0f3a9c2b11d4e5f6', 'status=403', 'verb=delete', 'eventVersion=1.09', 'name=deadbeef']) expect(valueClass(x, x.indexOf('='))).toBe(x);
  });
});

describe('a person\'s burst of ordinary calls, their identity beside sessions of fresh ids', () => {
  it('is reported as a burst of their identity', () => {
    const r = seeded(21);
    const ev = calls(20);
    const from = T0 + 5_400_000;
    const arn = 'arn:aws:sts::418272790193:assumed-role/AWSReservedSSO_PowerUser_0f3a9c2b11d4e5f6/erin@example.com';
    for (let j = 0; j < 40; j++) ev.push({ ts: from + j * 1500 + 1, text: record(r, from + j * 1500 + 1, arn, r.pick(CALLS)) });
    ev.sort((a, b) => a.ts - b.ts);
    const at = ev.flatMap((e, i) => ((e.text ?? '').includes('erin@') ? [i] : []));
    const found = valueBursts(runStream('logs', ev, 100).findings).filter((f) => at.includes(f.index));
    expect(found.length).toBeGreaterThanOrEqual(20);
    expect(found.some((f) => f.explanation.startsWith('Field "userIdentity.arn"') && f.explanation.includes('erin@example.com'))).toBe(true);
  });
});

describe('a job\'s usual bursts', () => {
  it('explain the bursts of a value it carries that others send too (its region): none reported after its first run', () => {
    const r = seeded(23);
    const ev = calls(22, 0.3);
    const runs: number[] = [];
    for (let h = T0 + 600_000; h < T0 + 7_200_000; h += 2_400_000) {
      runs.push(h);
      for (let j = 0; j < 60; j++) ev.push({ ts: h + j * 400, text: record(r, h + j * 400, `arn:aws:sts::418272790193:assumed-role/terraform-plan/atlantis-${r.int(10_000_000, 99_999_999)}`, r.pick(['GetRole', 'ListRolePolicies', 'GetPolicy']), 'us-east-1') });
    }
    ev.sort((a, b) => a.ts - b.ts);
    const found = valueBursts(runStream('logs', ev, 100).findings);
    expect(found.filter((f) => ev[f.index].ts >= runs[1])).toEqual([]);
  });
});

describe('a slow burst of a value (3 lines a window)', () => {
  it('is reported on most of its lines, judged against the value\'s rate from before it', () => {
    const r = seeded(9);
    const ev: ScoreInput[] = [];
    for (let t = T0; t < T0 + 7_200_000; t += 500 + r.int(0, 1500)) ev.push({ ts: t, text: record(r, t, r.pick(PEOPLE), r.pick(CALLS), 'eu-west-1', r.chance(0.01) ? 'AccessDenied' : undefined) });
    const from = T0 + 5_400_000;
    for (let j = 0; j < 30; j++) ev.push({ ts: from + j * 3300 + 1, text: record(r, from + j * 3300 + 1, r.pick(PEOPLE), r.pick(CALLS), 'eu-west-1', 'AccessDenied') });
    ev.sort((a, b) => a.ts - b.ts);
    const at = ev.flatMap((e, i) => (ev[i].ts >= from && (e.text ?? '').includes('AccessDenied') ? [i] : []));
    const found = valueBursts(runStream('logs', ev, 100).findings).filter((f) => at.includes(f.index));
    // 30 lines 3.3 s apart (and a few usual ones): 21 found (held 90 s); judged against the rate the burst taught, 14.
    expect(found.length).toBeGreaterThanOrEqual(19);
  });
});
