// The cloud generator: pure (same seed, same set), every kind labelled, labels consistent with the
// records they point at (an actor never seen on its API, a region never used, denied bursts from
// one principal, the escalation's IAM/RBAC calls, deletions in bursts, people before 07:00 only in
// the off-hours incident), three streams of JSON records with benign novelty and normal bursts.
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { CLOUD_KINDS, generateCloud } from '../../src/tools/eval/generators/cloud.js';
import { NEW_REGIONS } from '../../src/tools/eval/generators/cloud-lines.js';
import { expectLabelledLogSet, idxOf } from './helpers.js';

const SHORT = 4; // hours: enough for every kind (the warm-up is 30 minutes), fast in a unit test
type Gen = ReturnType<typeof generateCloud>;
type Rec = Record<string, unknown> & { userIdentity?: { arn?: string; userName?: string; invokedBy?: string; type?: string }; user?: { username: string }; actor?: { alternateId: string } };
const recs = (set: Gen, idx: number[]): (Rec & { stream: string; ts: string })[] => idx.map((i) => ({ ...(JSON.parse(String(set.events[i].data)) as Rec), stream: set.events[i].stream, ts: set.events[i].timestamp }));
const normalIdx = ({ events, labels }: Gen): number[] => { const bad = new Set(labels.anomalous); return events.map((_, i) => i).filter((i) => !bad.has(i)); };
/** Who made a record: the role (not the session), the IAM user, the service, the k8s user or the signed-in person. */
const actor = (r: Rec): string => {
  const m = /assumed-role\/([^/]+)\/(.*)$/.exec(r.userIdentity?.arn ?? '');
  if (m !== null) return m[2].includes('@') ? m[2] : m[1];
  return r.userIdentity?.userName ?? r.userIdentity?.invokedBy ?? r.user?.username ?? r.actor?.alternateId ?? '';
};
const api = (r: Rec): string => (r.eventName !== undefined ? `${String(r.eventSource)}:${String(r.eventName)}` : `${String(r.verb)} ${String((r.objectRef as { resource: string } | undefined)?.resource)}`);

describe('eval generate --kind cloud', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS.cloud.describe).toMatch(/cloud control plane/);
    const a = JSON.stringify(generateCloud(3, SHORT));
    expect(JSON.stringify(generateCloud(3, SHORT))).toBe(a);
    expect(JSON.stringify(generateCloud(4, SHORT))).not.toBe(a);
  });

  it('labels every kind; labels point at records in time order, none in the warm-up', () => {
    for (const seed of [1, 2]) expectLabelledLogSet(generateCloud(seed, SHORT), CLOUD_KINDS, 1_800_000);
  });

  it('the labelled records hold what their kind says, and normal records never do', () => {
    for (const seed of [5, 6]) {
      const set = generateCloud(seed, SHORT);
      const normal = recs(set, normalIdx(set));
      const pairs = new Set(normal.map((r) => `${actor(r)} ${api(r)}`));
      const apis = new Set(normal.map(api));
      // unusual_actor: the API is called normally, never by this actor.
      const ua = recs(set, idxOf(set, 'unusual_actor'));
      expect(ua.length).toBe(3);
      for (const r of ua) { expect(apis.has(api(r))).toBe(true); expect(pairs.has(`${actor(r)} ${api(r)}`)).toBe(false); }
      // unseen_region: a region never used (or a sign-in from a country never seen).
      const regions = new Set(normal.flatMap((r) => (typeof r.awsRegion === 'string' ? [r.awsRegion] : [])));
      const countries = new Set(normal.flatMap((r) => { const g = (r.client as { geographicalContext?: { country: string } } | undefined)?.geographicalContext; return g === undefined ? [] : [g.country]; }));
      expect([...regions].every((x) => ['eu-west-1', 'us-east-1', 'eu-central-1'].includes(x))).toBe(true);
      for (const r of recs(set, idxOf(set, 'unseen_region'))) {
        if (r.stream === 'cloud/cloudtrail') expect(NEW_REGIONS).toContain(r.awsRegion);
        else expect(countries.has((r.client as { geographicalContext: { country: string } }).geographicalContext.country)).toBe(false);
      }
      // access_denied_burst: denials (an error code, a 403, a failed sign-in), 40+ in two bursts.
      const burst = recs(set, idxOf(set, 'access_denied_burst'));
      expect(burst.length).toBeGreaterThanOrEqual(40);
      for (const r of burst) expect(typeof r.errorCode === 'string' || (r.responseStatus as { code: number } | undefined)?.code === 403 || (r.outcome as { result: string } | undefined)?.result === 'FAILURE').toBe(true);
      // privilege_escalation: IAM writes or RBAC bindings and tokens.
      const esc = recs(set, idxOf(set, 'privilege_escalation'));
      expect(esc.length).toBeGreaterThanOrEqual(6);
      expect(esc.every((r) => /^iam\.amazonaws\.com:(CreateUser|AttachUserPolicy|CreateAccessKey|CreateLoginProfile|AttachRolePolicy|UpdateAssumeRolePolicy)$|^create (clusterrolebindings|serviceaccounts)$|^list secrets$/.test(api(r)))).toBe(true);
      expect(normal.some((r) => /iam\.amazonaws\.com:(Create|Attach|Update)/.test(api(r)) || api(r) === 'create clusterrolebindings')).toBe(false);
      // new_error: an error code, HTTP status message or event type never on a normal record.
      const errOf = (r: Rec): string => String(r.errorCode ?? (r.responseStatus as { message?: string } | undefined)?.message ?? r.eventType);
      const errs = new Set(normal.map(errOf));
      const ne = recs(set, idxOf(set, 'new_error'));
      expect(ne.length).toBe(3);
      for (const r of ne) expect(errs.has(errOf(r))).toBe(false);
      // mass_deletion: 20+ deletions by one actor; normal deletions (the snapshot rotation, rollouts) come in smaller bursts.
      const del = recs(set, idxOf(set, 'mass_deletion'));
      expect(del.length).toBeGreaterThanOrEqual(40);
      expect(del.every((r) => /Delete|Terminate|ScheduleKeyDeletion|^delete /.test(api(r)))).toBe(true);
      // off_hours: people's records before 07:00 are the incident's only.
      const early = (r: { ts: string }): boolean => Number(r.ts.slice(11, 13)) < 7;
      const person = (r: Rec): boolean => actor(r).includes('@northwind.example');
      expect(recs(set, idxOf(set, 'off_hours')).every((r) => early(r) && person(r))).toBe(true);
      expect(normal.some((r) => early(r) && person(r))).toBe(false);
    }
  });

  it('three streams of JSON records with benign novelty and normal bursts, 35-65k in a full run, people from 07:00', () => {
    const full = generateCloud(9);
    expect(full.events.length).toBeGreaterThan(35_000);
    expect(full.events.length).toBeLessThan(65_000);
    expect([...new Set(full.events.map((e) => e.stream))].sort()).toEqual(['cloud/cloudtrail', 'cloud/k8s-audit', 'cloud/signin']);
    expect(full.events.every((e) => e.stream_type === 'logs' && typeof e.data === 'string')).toBe(true);
    const normal = recs(full, normalIdx(full));
    const of = (s: string): Rec[] => normal.filter((r) => r.stream === s);
    expect(of('cloud/cloudtrail').every((r) => r.eventVersion === '1.09' && typeof r.requestID === 'string')).toBe(true);
    expect(of('cloud/k8s-audit').every((r) => r.apiVersion === 'audit.k8s.io/v1' && typeof r.auditID === 'string')).toBe(true);
    expect(of('cloud/signin').length).toBeGreaterThan(150);
    expect(new Set(of('cloud/cloudtrail').map((r) => r.requestID)).size).toBe(of('cloud/cloudtrail').length);
    expect(new Set(of('cloud/cloudtrail').map((r) => r.sourceIPAddress)).size).toBeGreaterThan(1000);
    // Normal bursts and normal errors: the snapshot rotation, Terraform's NoSuch*, the exporter's 403s, a read-only user's AccessDenied.
    expect(of('cloud/cloudtrail').filter((r) => r.eventName === 'DeleteSnapshot').length).toBeGreaterThanOrEqual(20);
    expect(of('cloud/cloudtrail').some((r) => String(r.errorCode).startsWith('NoSuch'))).toBe(true);
    expect(of('cloud/k8s-audit').filter((r) => (r.responseStatus as { code: number }).code === 403).length).toBeGreaterThanOrEqual(90);
    const hour = (h: string, s: string): number => full.events.filter((e) => e.stream === s && e.timestamp.slice(11, 13) === h).length;
    expect(hour('10', 'cloud/cloudtrail')).toBeGreaterThan(1.3 * hour('05', 'cloud/cloudtrail'));
  });
});
