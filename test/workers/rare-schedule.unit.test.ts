// The logs detector's rare lines on a schedule (logs-schedule.ts): a denied request that a
// monitoring exporter repeats every 5 minutes in a busy audit log is reported its first times,
// then expected; a line of the same template between its runs is reported as before, and a rare
// error at irregular times is reported all stream long.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { scheduled, SCHEDULE_PARAMS } from '../../workers/detectors/logs-schedule.js';
import { runStream } from './helpers.js';
import { generateCloud } from '../../src/tools/eval/generators/cloud.js';

const T0 = 1_790_000_000_000;
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', `${String(ms % 1000).padStart(3, '0')}Z`);
const VERBS = ['get', 'list', 'watch', 'update', 'patch'];
const RESOURCES = ['pods', 'leases', 'nodes', 'configmaps', 'deployments', 'services', 'endpoints'];
const USERS = ['system:kube-scheduler', 'system:kube-controller-manager', 'system:serviceaccount:argocd:argocd-application-controller', 'system:node:ip-10-30-17-4', 'system:serviceaccount:karpenter:karpenter'];

/** Ordinary audit records over `minutes`, a few a second, more as the morning goes on (so a rare line's share keeps falling). */
function audit(minutes: number, seed: number): ScoreInput[] {
  const r = seeded(seed);
  const out: ScoreInput[] = [];
  for (let t = T0; t < T0 + minutes * MIN; ) {
    const verb = r.pick(VERBS), resource = r.pick(RESOURCES);
    out.push({ ts: t, text: JSON.stringify({ kind: 'Event', level: 'Metadata', auditID: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}`, verb, user: { username: r.pick(USERS) }, sourceIPs: [`10.30.${r.int(16, 31)}.${r.int(2, 250)}`], objectRef: { resource, namespace: r.pick(['kube-system', 'shop', 'argocd']) }, responseStatus: { code: 200 }, requestReceivedTimestamp: iso(t), stageTimestamp: iso(t + r.int(1, 60)) }) });
    const rate = 0.8 + (1.6 * (t - T0)) / (minutes * MIN);
    t += Math.max(1, Math.round((-Math.log(1 - r.next()) * 1000) / rate));
  }
  return out;
}

/** The exporter's denied list: the same record but for its id and time. */
const denied = (ts: number, r: ReturnType<typeof seeded>): ScoreInput => ({
  ts,
  text: JSON.stringify({ kind: 'Event', level: 'Metadata', auditID: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}`, requestURI: `/apis/autoscaling.k8s.io/v1/verticalpodautoscalers?${r.pick(['resourceVersion=0', 'limit=500'])}`, verb: 'list', user: { username: 'system:serviceaccount:monitoring:kube-state-metrics' }, sourceIPs: [`10.30.${r.int(16, 31)}.${r.int(2, 250)}`], objectRef: { resource: 'verticalpodautoscalers', apiGroup: 'autoscaling.k8s.io' }, responseStatus: { code: 403, status: 'Failure', reason: 'Forbidden', message: 'verticalpodautoscalers.autoscaling.k8s.io is forbidden: User "system:serviceaccount:monitoring:kube-state-metrics" cannot list resource "verticalpodautoscalers" at the cluster scope' }, requestReceivedTimestamp: iso(ts), stageTimestamp: iso(ts + r.int(1, 60)) }),
});

const sorted = (ev: ScoreInput[]): ScoreInput[] => ev.sort((a, b) => a.ts - b.ts);
const isDenied = (ev: ScoreInput[], i: number): boolean => ev[i].text?.includes('kube-state-metrics') === true;

describe('logs: rare lines on a schedule', () => {
  it('a denied request every 5 minutes is reported its first times, then expected', () => {
    // The cloud generator's Kubernetes audit log (tuning seed 207, 4 hours): kube-state-metrics is denied a CRD every 5 minutes.
    const ev: ScoreInput[] = generateCloud(207, 4).events.filter((e) => e.stream === 'cloud/k8s-audit').map((e) => ({ ts: Date.parse(e.timestamp), text: String(e.data) }));
    const first = ev[ev.findIndex((e, i) => isDenied(ev, i))].ts;
    const { findings } = runStream('logs', ev, 100);
    const run = (i: number): number => Math.round((ev[i].ts - first) / (5 * MIN));
    const text = findings.filter((f) => f.detector === 'compression_surprise' && isDenied(ev, f.index));
    // The rare line is reported at first…
    expect(text.filter((f) => run(f.index) < 3).length).toBeGreaterThan(0);
    // …and not once it has returned on time three times.
    expect(text.filter((f) => run(f.index) >= 4).map((f) => run(f.index))).toEqual([]);
  }, 240_000);

  it('a denied request between the scheduled runs is reported', () => {
    const r = seeded(12);
    const ev = audit(200, 2);
    const first = T0 + 3 * MIN + 999;
    for (let k = 0; k < 39; k++) ev.push(denied(first + k * 5 * MIN + r.int(-100, 100), r));
    const extra = first + 30 * 5 * MIN + 2 * MIN + 7_000;
    ev.push(denied(extra, r));
    sorted(ev);
    const { findings } = runStream('logs', ev, 100, 0.2);
    const at = (ts: number): number => findings.filter((f) => f.detector === 'compression_surprise' && ev[f.index].ts === ts).length;
    // At a low threshold, the scheduled runs are seen (scored × weight, explained), the extra one in full.
    const late = findings.filter((f) => f.detector === 'compression_surprise' && isDenied(ev, f.index) && ev[f.index].ts > first + 10 * 5 * MIN && ev[f.index].ts !== extra);
    for (const f of late) expect(f.explanation).toMatch(/On its schedule: every 5\.0 min/);
    expect(at(extra)).toBe(1);
    expect(findings.find((f) => ev[f.index].ts === extra && f.detector === 'compression_surprise')?.explanation).not.toMatch(/On its schedule/);
  }, 240_000);

  it('a rare error at irregular times is reported all stream long', () => {
    const r = seeded(13);
    const ev = audit(240, 3);
    const times = [9, 21, 26, 40, 55, 61, 83, 97, 104, 131, 150, 162, 189, 203, 228].map((m) => T0 + m * MIN + r.int(0, 59_000));
    for (const t of times) ev.push(denied(t, r));
    sorted(ev);
    const { findings } = runStream('logs', ev, 100);
    const reported = new Set(findings.filter((f) => isDenied(ev, f.index)).map((f) => ev[f.index].ts));
    expect(times.slice(5).filter((t) => reported.has(t)).length).toBeGreaterThanOrEqual(8);
    for (const f of findings) expect(f.explanation).not.toMatch(/On its schedule/);
  }, 240_000);
});

describe('logs-schedule: the record', () => {
  it('learns a period from three equal spacings, keeps it through a missed run, and leaves an extra line off it', () => {
    const r: number[] = [];
    const rec = (): number[] => r;
    // freshRecord is internal: start from what line() creates.
    r.push(0, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0);
    const at = (k: number): number => T0 + k * 5 * MIN;
    expect([0, 1, 2].map((k) => scheduled(rec(), at(k)))).toEqual([false, false, false]);
    expect(scheduled(rec(), at(3) + 1500)).toBe(true);
    expect(scheduled(rec(), at(3) + 4000)).toBe(true);
    // A run missing (none at 4): the next on time still counts; a line between runs does not.
    expect(scheduled(rec(), at(5))).toBe(true);
    expect(scheduled(rec(), at(5) + 2 * MIN)).toBe(false);
    expect(scheduled(rec(), at(6))).toBe(true);
    // Gone for longer than maxMultiple periods: learnt again.
    expect(scheduled(rec(), at(6 + SCHEDULE_PARAMS.maxMultiple + 2))).toBe(false);
  });
});
