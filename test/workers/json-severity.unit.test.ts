// A JSON record's severity is read in its severity fields (json-line.ts severityView, branch
// cloud19): its level, message, error, status, reason, outcome. A level token in an input field (a
// person searching logs with filterPattern = "ERROR") made a routine call an error line, and its
// recurrences rare errors reported again and again (cloud 201-210: 140 of main's 1,302 false
// alarms); an error stated in the record's own fields is still one.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { severityView } from '../../workers/detectors/json-line.js';
import { LineSeverity } from '../../workers/detectors/text-words.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const words = (o: Record<string, unknown>): string[] => Object.entries(o).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);

describe('severityView', () => {
  it('keeps the values of level, message, error, status, reason and outcome fields, and no others', () => {
    const v = severityView(['eventName=FilterLogEvents', 'requestParameters.filterPattern=ERROR', 'errorCode=AccessDenied', 'responseStatus.message=forbidden', 'outcome.result=FAILURE', 'level=WARN', 'msg=disk full', 'log=panic: boom', 'userAgent=curl']);
    expect(v.split('\n')).toEqual(['AccessDenied', 'forbidden', 'FAILURE', 'WARN', 'disk full', 'panic: boom']);
    expect(severityView(['eventName=GetObject', 'requestParameters.filterPattern=ERROR'])).toBe('');
  });

  it('decides the line\'s severity words in place of the whole line', () => {
    const line = JSON.stringify({ eventName: 'FilterLogEvents', requestParameters: { filterPattern: 'ERROR' } });
    const s = new LineSeverity();
    expect(s.of(line).word).toBe('error');
    const t = new LineSeverity();
    expect(t.of(line, severityView(['eventName=FilterLogEvents', 'requestParameters.filterPattern=ERROR'])).routine).toBe(true);
    const err = JSON.stringify({ level: 'ERROR', msg: 'payment failed' });
    expect(new LineSeverity().of(err, severityView(words({ level: 'ERROR', msg: 'payment failed' }))).error).toBe(true);
  });
});

/** Three hours of an audit log's calls; now and then a person searches the logs for "ERROR". */
function calls(seed: number): { ev: ScoreInput[]; searches: number[] } {
  const r = seeded(seed);
  const ev: ScoreInput[] = [];
  for (let t = T0; t < T0 + 3 * 3_600_000; t += 300 + r.int(0, 900)) {
    const search = r.chance(0.004);
    const rec = search
      ? { eventTime: new Date(t).toISOString(), eventName: 'FilterLogEvents', user: r.pick(['alice', 'bob', 'carol']), requestID: r.hex(16), requestParameters: { logGroupName: `/ecs/${r.pick(['orders', 'billing'])}`, filterPattern: 'ERROR' } }
      : { eventTime: new Date(t).toISOString(), eventName: r.pick(['GetSecretValue', 'Decrypt', 'DescribeInstances', 'AssumeRole']), user: r.pick(['app-task', 'karpenter', 'lambda']), requestID: r.hex(16), requestParameters: { keyId: r.hex(12) } };
    ev.push({ ts: t, text: JSON.stringify(rec) });
  }
  const searches = ev.flatMap((e, i) => ((e.text ?? '').includes('FilterLogEvents') ? [i] : []));
  return { ev, searches };
}

describe('a routine JSON call whose input names a level', () => {
  it('is not reported again and again as a rare error, while an error record is reported', () => {
    const { ev, searches } = calls(5);
    expect(searches.length).toBeGreaterThan(20);
    const at = T0 + 2 * 3_600_000 + 123;
    const k = ev.findIndex((e) => e.ts > at);
    ev.splice(k, 0, { ts: at, text: JSON.stringify({ eventTime: new Date(at).toISOString(), eventName: 'Decrypt', user: 'app-task', requestID: 'f00d', errorCode: 'KMSInvalidStateException', errorMessage: 'key is pending deletion' }) });
    const found = new Set(runStream('logs', ev, 100).findings.map((f) => f.index));
    const again = searches.map((i) => (i >= k ? i + 1 : i)).filter((i) => found.has(i) && ev[i].ts > T0 + 3_600_000);
    expect(again.length).toBeLessThanOrEqual(1);
    expect(found.has(k)).toBe(true);
  });
});

describe('LineSeverity.high of a JSON record', () => {
  it('reads the WARN token in the severity view, not in another field', () => {
    // A warning by its syslog priority alone (`<4>` in the record's log field) is not high; a
    // "Warning" in a route is an input, not the record's level.
    const rec = { log: '<4>nfs: server nas-01 not responding, timed out', route: '/api/Warning/ack' };
    const s = new LineSeverity().of(JSON.stringify(rec), severityView(words(rec)));
    expect(s.warned).toBe('not responding');
    expect(s.high).toBe(false);
    const lvl = { level: 'WARN', log: 'nfs: server nas-01 not responding, timed out' };
    expect(new LineSeverity().of(JSON.stringify(lvl), severityView(words(lvl))).high).toBe(true);
  });
});
