// A keyed slot is judged also under its key pooled over the stream's templates. A value that is a
// habit of its own template was reported as rare by the pool (cloud generator, k8s-audit: every pod
// a deploy creates answers responseStatus.code 201, among the cluster's 200s: "value 201 seen only
// 14 times in 17552 sightings"). Once the line's own slot has shown the value ownSeen times, the
// pool does not report it (fails on main: the template's later lines reported). A value new to
// the own slot is still judged by the pool.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { POOL_PARAMS } from '../../workers/detectors/logs-values.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 8, 19, 4);

function stream(): { ev: ScoreInput[]; creates: number[]; odd: number } {
  const r = seeded(11);
  const ev: ScoreInput[] = [];
  const creates: number[] = [];
  let odd = -1;
  for (let j = 0; j < 30_000; j++) {
    const node = `ip-10-30-${r.int(16, 31)}-${r.int(2, 250)}`;
    let rec: Record<string, unknown>;
    if (j % 1500 === 700) {
      // A rollout's pods: created (201) and deleted (200), lines of one template.
      const create = j % 3000 === 700;
      if (create) creates.push(ev.length);
      rec = { kind: 'Event', level: 'Metadata', auditID: r.hex(12), verb: create ? 'create' : 'delete', user: 'system:serviceaccount:kube-system:replicaset-controller', resource: 'pods', namespace: 'shop', code: create ? 201 : 200, decision: 'allow' };
    } else if (j === 25_000) {
      odd = ev.length;
      rec = { kind: 'Event', level: 'Metadata', auditID: r.hex(12), verb: 'patch', user: `system:node:${node}`, resource: 'nodes', name: node, code: 422 };
    } else rec = { kind: 'Event', level: 'Metadata', auditID: r.hex(12), verb: 'patch', user: `system:node:${node}`, resource: 'nodes', name: node, code: 200 };
    ev.push({ ts: T0 + j * 500, text: JSON.stringify(rec) });
  }
  return { ev, creates, odd };
}

describe('a value that is a habit of its own template', () => {
  it('is not reported as rare by its key pooled over the stream\'s templates once its own slot has shown it ownSeen times (fails on main)', () => {
    expect(POOL_PARAMS.ownSeen).toBe(3);
    const { ev, creates, odd } = stream();
    const { findings } = runStream('logs', ev, 100);
    const pooled = (i: number): boolean => findings.some((f) => f.index === i && f.detector === 'template_slot' && /over the stream's templates/.test(f.explanation));
    expect(creates.length).toBe(10);
    expect(creates.slice(POOL_PARAMS.ownSeen + 1).filter(pooled)).toEqual([]);
    // A value the own slot never showed is judged as before.
    expect(findings.some((f) => f.index === odd && f.detector === 'template_slot')).toBe(true);
  }, 60_000);
});
