// The next group commit of a sink (service.ts), taken from its pending writes. Pure (no I/O).
//
//   pending writes ─► per tenant, in their order (tenants already in maxFlushesPerTenant
//   flushes in flight are left waiting) ─► one write per tenant in turn, up to flushMaxRows rows
//   (at least one write) ─► group
//
// A light tenant's write goes into the next flush, not behind a heavy tenant's backlog, and a
// heavy tenant cannot hold every flush: the slots above its share stay open to the others. A
// second write with a batch key already in the group waits for the next.

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
}

export function takeGroup<P extends Queued>(pending: readonly P[], flushesOf: ReadonlyMap<string, number>, maxRows: number, maxFlushesPerTenant: number): Taken<P> {
  const queues = new Map<string, { items: P[]; head: number }>();
  for (const p of pending) {
    if ((flushesOf.get(p.w.tenantId) ?? 0) >= maxFlushesPerTenant) continue;
    const q = queues.get(p.w.tenantId);
    if (q === undefined) queues.set(p.w.tenantId, { items: [p], head: 0 });
    else q.items.push(p);
  }
  const taken = new Set<P>();
  const keys = new Set<string>();
  const group: P[] = [];
  let rows = 0;
  let bytes = 0;
  for (let more = true; more;) {
    more = false;
    for (const [tenant, q] of queues) {
      const p = q.items[q.head];
      if (p === undefined || (group.length > 0 && rows + p.w.rows > maxRows)) continue;
      q.head++;
      more = true;
      // One with a key already in the group waits for the next flush.
      const key = p.w.batchKey === undefined ? undefined : `${tenant}\u0000${p.w.batchKey}`;
      if (key !== undefined && keys.has(key)) continue;
      if (key !== undefined) keys.add(key);
      group.push(p);
      taken.add(p);
      rows += p.w.rows;
      bytes += linesSize(p.w);
    }
  }
  return { group, rest: taken.size === 0 ? [...pending] : pending.filter((p) => !taken.has(p)), rows, bytes };
}
