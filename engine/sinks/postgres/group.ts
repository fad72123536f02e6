// The next group commit of a sink (service.ts), taken from its pending writes. Pure (no I/O,
// the clock passed in).
//
//   pending writes ─► per tenant, in their order (tenants already in maxFlushesPerTenant
//   flushes in flight are left waiting)
//     ─► light lane: tenants not over their share of the sink's recent rows (transforms/shares.ts)
//     ─► heavy lane: the others, only when no light tenant waits and the heavy lane holds fewer
//        than its flushes (the sink keeps one flush for the light lane)
//   ─► one write per tenant of the lane in turn, up to flushMaxRows rows (at least one write) ─► group
//
// A light tenant's write goes into the next flush, not behind a heavy tenant's backlog, and
// never into the same transaction as a heavy tenant's: that transaction compresses and copies
// up to flushMaxRows of the heavy tenant's rows and waits on the row locks (usage_counters,
// stream_totals) that the heavy tenant's other flush holds until it commits. A heavy tenant
// cannot hold every flush: the slots above its share stay open to the others. A second write
// with a batch key already in the group, or in a flush still in flight, waits until that one has
// ended: flushes run concurrently, so a copy taken at once could claim the key first and be
// stored in place of the earlier one (a resend at the spool's tail overtaking the original).

import { linesSize, type BlockPart } from './blocks.js';

interface Queued {
  readonly w: { readonly tenantId: string; readonly rows: number; readonly lines: string; readonly parts?: readonly BlockPart[]; readonly batchKey?: string };
}

export interface Taken<P> {
  group: P[];
  /** The writes left pending, in their order. */
  rest: P[];
  rows: number;
  /** The group's COPY lines' length (what the sink's byte bound counts). */
  bytes: number;
  /** The lane the group was taken from (a heavy group counts against the heavy lane's flushes). */
  heavy: boolean;
}

export interface GroupLimits {
  maxRows: number;
  maxFlushesPerTenant: number;
  /** Whether the tenant is over its share (TenantShares.heavy, transforms/shares.ts). */
  heavy: (tenantId: string) => boolean;
  /** Whether the heavy lane may start a flush now. */
  heavyMayStart: boolean;
  /** `tenant \u0000 batchKey` of the writes in flushes in flight: a write with one of these keys waits. */
  keysInFlight?: ReadonlySet<string>;
}

/** The key a write claims in ingest_batches, as takeGroup and the sink track it (undefined: none). */
export const batchKeyOf = (w: { readonly tenantId: string; readonly batchKey?: string }): string | undefined =>
  (w.batchKey === undefined ? undefined : `${w.tenantId}\u0000${w.batchKey}`);

export function takeGroup<P extends Queued>(pending: readonly P[], flushesOf: ReadonlyMap<string, number>, o: GroupLimits): Taken<P> {
  const light = new Map<string, { items: P[]; head: number }>();
  const heavy = new Map<string, { items: P[]; head: number }>();
  const isHeavy = new Map<string, boolean>();
  for (const p of pending) {
    const t = p.w.tenantId;
    if ((flushesOf.get(t) ?? 0) >= o.maxFlushesPerTenant) continue;
    let h = isHeavy.get(t);
    if (h === undefined) { h = o.heavy(t); isHeavy.set(t, h); }
    const lane = h ? heavy : light;
    const q = lane.get(t);
    if (q === undefined) lane.set(t, { items: [p], head: 0 });
    else q.items.push(p);
  }
  const fromHeavy = light.size === 0;
  const queues = fromHeavy ? (o.heavyMayStart ? heavy : new Map<string, { items: P[]; head: number }>()) : light;
  const taken = new Set<P>();
  const keys = new Set<string>();
  const group: P[] = [];
  let rows = 0;
  let bytes = 0;
  for (let more = true; more;) {
    more = false;
    for (const q of queues.values()) {
      const p = q.items[q.head];
      if (p === undefined || (group.length > 0 && rows + p.w.rows > o.maxRows)) continue;
      q.head++;
      more = true;
      // One with a key already in the group, or in a flush in flight, waits for a later flush.
      const key = batchKeyOf(p.w);
      if (key !== undefined && (keys.has(key) || o.keysInFlight?.has(key) === true)) continue;
      if (key !== undefined) keys.add(key);
      group.push(p);
      taken.add(p);
      rows += p.w.rows;
      bytes += linesSize(p.w);
    }
  }
  return { group, rest: taken.size === 0 ? [...pending] : pending.filter((p) => !taken.has(p)), rows, bytes, heavy: fromHeavy };
}
