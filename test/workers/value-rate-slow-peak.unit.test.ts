// A person's slow burst judged against their own earlier bursts (value-rate.ts, branch cloud24):
// the slow test compares an actor's decayed count over a minute with its peak window, and every
// window of the burst entered that peak as it closed (windows of 4-5 calls whose window test was
// weak: the person's rate had just risen with their ordinary work, and the burst's first window
// raised the spread). From its second window on, the burst's "earlier burst" was itself: 7.5
// expected a window, 45 a minute. An actor's windows now wait in the storm mark while its slow
// burst goes on (at most slowHoldMs) and become its peak after it, as a storm's do.
// Fails before: 2 of the 45 calls reported (cloud 203: a person's 41 deletions in 82 s, none).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const CALLS = ['DescribeInstances', 'GetSecretValue', 'Decrypt', 'GetParameter', 'ListBuckets'];
const PEOPLE = ['bob', 'erin', 'carol'];

function record(r: ReturnType<typeof seeded>, t: number, who: string, name: string): string {
  return JSON.stringify({
    eventTime: new Date(t).toISOString(), userIdentity: { principalId: `AROA1234:${who}` }, eventName: name, eventSource: `${name.slice(3, 6).toLowerCase()}.amazonaws.com`,
    awsRegion: 'eu-west-1', sourceIPAddress: r.pick(['10.0.0.1', '10.0.0.2', '10.0.0.3']), userAgent: r.pick(['aws-cli/2.15', 'aws-sdk-go-v2/1.30', 'Boto3/1.34']),
    readOnly: /^(Get|List|Describe)/.test(name), eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: '418272790193', eventCategory: 'Management',
    tlsVersion: r.pick(['TLSv1.2', 'TLSv1.3']), requestID: `${r.hex(8)}-${r.hex(4)}`, requestParameters: { id: r.hex(8) },
  });
}

describe('a person\'s slow burst (a call every 2 s for 90 s) right after their ordinary work', () => {
  it('is reported on most of its lines, not judged against its own windows', () => {
    const r = seeded(31);
    const ev: ScoreInput[] = [];
    // Two hours of an app's calls and people's sessions (20 calls 4-16 s apart, one every 4-6 minutes).
    for (let t = T0; t < T0 + 7_200_000; t += 500 + r.int(0, 1500)) ev.push({ ts: t, text: record(r, t, 'app-task', r.pick(CALLS)) });
    for (let t = T0 + 60_000; t < T0 + 7_000_000; t += 240_000 + r.int(0, 120_000)) {
      const who = r.pick(PEOPLE);
      let at = t + 7;
      for (let j = 0; j < 20; j++, at += r.int(4000, 16_000)) ev.push({ ts: at, text: record(r, at, who, r.pick(CALLS)) });
    }
    const from = T0 + 5_400_000 + 2003;
    for (let j = 1; j <= 10; j++) ev.push({ ts: from - j * 3000, text: record(r, from - j * 3000, 'erin', r.pick(CALLS)) });
    for (let j = 0; j < 45; j++) ev.push({ ts: from + j * 2000, text: record(r, from + j * 2000, 'erin', r.pick(CALLS)) });
    ev.sort((a, b) => a.ts - b.ts);
    const at = new Set(ev.flatMap((e, i) => (e.ts >= from && e.ts < from + 90_000 && (e.text ?? '').includes(':erin') ? [i] : [])));
    const found = runStream('logs', ev, 100).findings.filter((f) => f.detector === 'template_rate' && f.explanation.includes(':erin') && at.has(f.index));
    expect(found.length).toBeGreaterThanOrEqual(20);
  });
});
