// Issue 15 (leftover): a detect process SIGKILLed in the middle of an incident. Two detect
// processes (children, the real detectors of dist/workers/score.js), ingest and store in this
// process, a three-node JetStream cluster. The same web log, with a burst of one crash pattern
// near its end, goes to one stream of tenant A (its partition held by the process that lives:
// never disturbed) and to the same stream of tenant B (its partition held by the one killed).
// B is sent up to the middle of the burst; once its partition's checkpoint covers that and the
// saved open incidents hold the burst's incident, a few more of B's lines are sent and its
// holder is SIGKILLed at once. The survivor takes the partition over from the checkpoint
// (detector state and open incidents) and scores the rest. B's findings must equal A's (line,
// detector, score) and fold into the same incidents: the burst spanning the kill is one incident.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../engine/cluster/partition.js';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import { ingest } from '../engine/harness.js';
import { balancedOwners, leaseOwners, scoredAndStored, separatingStream, uncheckpointed } from '../helpers/cluster-load.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason } from '../helpers/nats-cluster.js';
import { detectPair } from './detect-pair.js';

const t0 = Date.UTC(2026, 0, 1);
const LINES = 3_000;
const BURST_AT = 2_600;
const BURST = 20;
/** B's lines sent and checkpointed before the kill: up to the 10th of the 20 burst lines. */
const CHECKPOINTED = BURST_AT + 10 * 7;
/** B's lines sent just before the kill, not waited on (scored or not, checkpointed or not by the victim). */
const IN_FLIGHT = CHECKPOINTED + 35;
const PER_REQUEST = 250;

/** The log of test/engine/incidents-restart.test.ts: 3,000 lines, one every 100 ms, a crash pattern every 7th line from 2,600. */
function events(stream: string): Record<string, unknown>[] {
  const lines = syntheticLog({ lines: LINES, anomalies: 0, seed: 5 }).lines.slice();
  for (let i = 0; i < BURST; i++) lines[BURST_AT + i * 7] = `FATAL worker-3 panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV code=0x1 addr=0x${(0xc000 + i).toString(16)} pc=0x4a1f2${i % 10}]`;
  return lines.map((data, i) => ({ timestamp: new Date(t0 + i * 100).toISOString(), stream_type: 'logs', stream, data }));
}

interface Found { line: number; detector: string; score: number; incident: string }

/** Each finding's incident as the index of the incident's first finding: comparable between tenants whose ids differ. */
const grouping = (list: Found[]): number[] => {
  const first = new Map<string, number>();
  return list.map((f, i) => { if (!first.has(f.incident)) first.set(f.incident, i); return first.get(f.incident)!; });
};
const inBurst = (f: Found): boolean => f.line >= BURST_AT && (f.line - BURST_AT) % 7 === 0 && (f.line - BURST_AT) / 7 < BURST;

describe.skipIf(natsServerBinary() === undefined)(`detect process killed during an incident (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  const d = detectPair();
  beforeAll(() => d.start(), 120_000);
  afterAll(() => d.close());

  const send = async (key: string, list: Record<string, unknown>[]): Promise<void> => {
    for (let i = 0; i < list.length; i += PER_REQUEST) expect((await ingest(d.h, list.slice(i, i + PER_REQUEST), { key })).status).toBe(200);
  };
  const findings = async (tenantId: string): Promise<Found[]> => {
    const { rows } = await d.h.db.pool.query<{ ts: Date; detector: string; score: number; incident_id: string }>(
      'SELECT event_ts AS ts, detector, score, incident_id FROM anomalies WHERE tenant_id = $1 ORDER BY event_ts, detector', [tenantId]);
    return rows.map((r) => ({ line: Math.round((r.ts.getTime() - t0) / 100), detector: r.detector, score: Number(r.score.toFixed(6)), incident: r.incident_id }));
  };

  it('the survivor resumes from the checkpoint: the same findings and incidents as a run without a kill', async () => {
    const { h, kv, jsm, procs } = d;
    const owners = await balancedOwners(kv, procs[0].detectId);
    // A stream name whose partition is held by one process for A and by the other for B. For about
    // one pair of tenant ids in 16 there is none (separatingStream): B is then another tenant.
    let tenantB = h.tenantB;
    let stream = separatingStream(owners, h.tenantA.id, tenantB.id);
    for (let n = 2; stream === undefined && n < 10; n++) {
      const t = await createTenant(h.db.pool, `Tenant B${n}`, 'business');
      tenantB = { id: t.id, key: (await createApiKey(h.db.pool, t.id)).key };
      stream = separatingStream(owners, h.tenantA.id, tenantB.id);
    }
    if (stream === undefined) throw new Error('no tenant B whose partitions are held apart from A\'s');
    const pB = partitionOf(tenantB.id, stream);
    const victim = procs.find((p) => p.detectId === owners[pB])!;
    const survivor = procs.find((p) => p !== victim)!;
    expect(owners[partitionOf(h.tenantA.id, stream)]).toBe(survivor.detectId);
    const all = events(stream);

    await send(h.tenantA.key, all);
    await send(tenantB.key, all.slice(0, CHECKPOINTED));
    // B's partition checkpointed through its last message, with the burst's incident open in the saved state.
    const saved = await waitFor(async () => {
      if ((await uncheckpointed(jsm, h.db.pool, [pB])).length > 0) return undefined;
      const r = await h.db.pool.query<{ incidents: string | null }>('SELECT incidents FROM detector_states WHERE tenant_id = $1 AND stream = $2', [tenantB.id, stream]);
      return r.rows[0]?.incidents ?? undefined;
    }, 120_000, `B's partition ${pB} checkpointed`);
    const before = await waitFor(async () => {
      const b = (await findings(tenantB.id)).filter(inBurst);
      return b.length > 0 ? b : undefined;
    }, 60_000, 'B\'s first burst findings stored');
    expect(before.every((f) => f.line < CHECKPOINTED)).toBe(true);
    expect(saved).toContain(before[0].incident);

    // A few more of B's lines (five of the burst), then the holder is SIGKILLed at once.
    await send(tenantB.key, all.slice(CHECKPOINTED, IN_FLIGHT));
    const behindAtKill = (await uncheckpointed(jsm, h.db.pool, [pB])).length > 0;
    const killedAt = Date.now();
    await victim.kill();
    const takeover = await waitFor(async () => ((await leaseOwners(kv)).every((x) => x === survivor.detectId) ? Date.now() - killedAt : undefined),
      30_000, 'every partition held by the surviving detect process');
    await send(tenantB.key, all.slice(IN_FLIGHT));
    await waitFor(async () => ((await scoredAndStored(jsm, h.db.pool)) ? true : undefined), 180_000, 'every partition scored and every anomaly stored');

    const a = await findings(h.tenantA.id);
    const b = await findings(tenantB.id);
    // The burst is flagged, on both sides of the kill.
    expect(a.filter(inBurst).length).toBeGreaterThanOrEqual(BURST);
    expect(b.filter(inBurst).some((f) => f.line < CHECKPOINTED) && b.filter(inBurst).some((f) => f.line >= IN_FLIGHT)).toBe(true);
    // No cold start and nothing twice: the same lines, detectors and scores as A's run.
    expect(b.map(({ line, detector, score }) => ({ line, detector, score }))).toEqual(a.map(({ line, detector, score }) => ({ line, detector, score })));
    // The same incidents, and the burst's findings of B (one detector) in one incident whatever side of the kill.
    expect(grouping(b)).toEqual(grouping(a));
    const burstB = b.filter(inBurst).filter((f) => f.detector === b.filter(inBurst)[0].detector);
    expect(new Set(burstB.map((f) => f.incident))).toEqual(new Set([before[0].incident]));
    expect(burstB.length).toBeGreaterThanOrEqual(BURST);
    console.log(`detect-incident: takeover in ${takeover} ms (${behindAtKill ? 'the victim had not checkpointed its last messages' : 'the victim had checkpointed everything'}); `
      + `${a.length} findings, ${new Set(a.map((f) => f.incident)).size} incidents without a kill (A); ${b.length} findings, ${new Set(b.map((f) => f.incident)).size} incidents with the kill (B)`);
  }, 300_000);
});
