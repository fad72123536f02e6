// Never-seen pairs of an actor and a field value (logs-pairs.ts): in a Kubernetes audit log of
// service accounts doing the same few things all day, Karpenter's controller reading Argo CD's
// secret (every field value of it common in the stream, only the pair new) is reported (fails on
// main: no field_pair finding); a person who signs on late and
// does a dozen things on their first records is not (a fresh actor learns), and neither is a
// settled actor repeating what it did.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import score from '../../workers/score.js';
import { runStream, task } from './helpers.js';
import { PAIR_BUDGET } from '../../workers/detectors/budget.js';
import { pairNews, PAIR_PARAMS } from '../../workers/detectors/logs-pairs.js';
import type { LogsState, Part } from '../../workers/detectors/logs-state.js';

const T0 = Date.UTC(2026, 2, 2, 4);
const KARP = 'system:serviceaccount:karpenter:karpenter';
const ARGO = 'system:serviceaccount:argocd:argocd-application-controller';

function audit(r: ReturnType<typeof seeded>, user: string, verb: string, resource: string, namespace?: string, name?: string): string {
  return JSON.stringify({
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`, verb,
    user: { username: user }, sourceIPs: [`10.30.${r.int(16, 31)}.${r.int(2, 250)}`],
    objectRef: { resource, ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }), apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
  });
}

/** Two hours of two controllers' calls, 1 to 3 s apart; `odd` (by its index) replaced at 100 min; `person`: a new user's dozen calls at 90 min. */
function stream(odd: boolean, person: boolean): { ev: ScoreInput[]; at: number } {
  const r = seeded(11);
  const ev: ScoreInput[] = [];
  let at = -1;
  for (let t = T0; t < T0 + 2 * 3_600_000; t += r.int(1000, 3000)) {
    if (odd && at < 0 && t >= T0 + 100 * 60_000) {
      at = ev.length;
      ev.push({ ts: t, text: audit(r, KARP, 'get', 'secrets', 'argocd', 'argocd-secret') });
      continue;
    }
    if (person && t >= T0 + 90 * 60_000 && t < T0 + 93 * 60_000) {
      const [verb, resource] = r.pick([['list', 'pods'], ['get', 'deployments'], ['list', 'events'], ['get', 'secrets'], ['delete', 'pods'], ['list', 'nodes']] as const);
      ev.push({ ts: t, text: audit(r, 'erin.kowalski@northwind.example', verb, resource, resource === 'nodes' ? undefined : r.pick(['shop', 'billing'])) });
      continue;
    }
    const k = r.next();
    if (k < 0.4) ev.push({ ts: t, text: audit(r, KARP, r.pick(['list', 'get']), r.pick(['nodeclaims', 'nodes', 'pods'])) });
    else if (k < 0.7) ev.push({ ts: t, text: audit(r, ARGO, r.pick(['get', 'list']), r.pick(['secrets', 'applications']), 'argocd', r.pick(['argocd-secret', 'repo-shop'])) });
    else ev.push({ ts: t, text: audit(r, KARP, 'update', 'leases', 'kube-system', 'karpenter-leader-election') });
  }
  return { ev, at };
}

describe('a never-seen pair of an actor and a field value', () => {
  it('reports a settled actor doing what it never did, in words, whatever the batch split', () => {
    const { ev, at } = stream(true, false);
    const { findings } = runStream('logs', ev, 100);
    const hit = findings.filter((f) => f.detector === 'field_pair');
    expect(hit.map((f) => f.index)).toEqual([at]);
    expect(hit[0].explanation).toMatch(/^A pair never seen: actor user\.username=system:serviceaccount:karpenter:karpenter with (objectRef\.resource=secrets|objectRef\.namespace=argocd|objectRef\.name=argocd-secret)\. In its \d+ earlier records/);
    const small = runStream('logs', ev, 7).findings.filter((f) => f.detector === 'field_pair');
    expect(small).toEqual(hit);
  });

  it('lets a fresh actor learn on its first records, and a settled one repeat itself', () => {
    const { ev } = stream(false, true);
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.detector === 'field_pair')).toEqual([]);
  });

  it('resumes a state saved before the pairs (no `ap`): they start empty and learn again', () => {
    const { ev } = stream(true, false);
    const first = runStream('logs', ev.slice(0, 500), 100);
    const old = JSON.parse(new TextDecoder().decode(first.state)) as Record<string, unknown>;
    expect(Object.keys(old.ap as object).length).toBe(2);
    delete old.ap;
    const r = score(task('logs', ev.slice(500, 600), new TextEncoder().encode(JSON.stringify(old))));
    if (!r.ok) throw new Error(r.message);
    expect(r.findings.filter((f) => f.detector === 'field_pair')).toEqual([]);
    const next = JSON.parse(new TextDecoder().decode(r.state)) as { ap: Record<string, { c: number[] }> };
    expect(Object.values(next.ap).map((a) => a.c[0]).reduce((x, y) => x + y)).toBe(100);
  });

  it('keeps the pairs within PAIR_BUDGET however many actors, keys and values come', () => {
    const s = { v: 2, kind: 'logs' } as unknown as LogsState;
    const out: Part[] = [];
    // 40 actors of 130-byte words, each with 50 keys of ever new values, at timestamps of 17 characters.
    for (let n = 0; n < 4000; n++) {
      const who = `user=${String(n % 40).padStart(3, '0')}${'a'.repeat(120)}`;
      const words = [who, ...Array.from({ length: 50 }, (_, k) => `field${k}=value-${(n * 7 + k) % 13}`)];
      pairNews(s, words, 9_999_999_999_999.125 + n * 1000, 0.5, out);
    }
    expect(Object.keys(s.ap ?? {}).length).toBe(PAIR_PARAMS.maxActors);
    expect(Buffer.byteLength(JSON.stringify(s.ap))).toBeLessThanOrEqual(PAIR_BUDGET);
  });
});
