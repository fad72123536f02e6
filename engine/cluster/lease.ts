// Partition leases of the detect role (issue 15), in the JetStream KV bucket dw_leases.
// nats-server 2.9 has no per-key TTL, so a lease is a key whose revision its holder keeps
// changing, and a contender judges it by its own clock:
//
//   every tickMs (leaseMs / 5):
//     put m.<id> (membership heartbeat) ─► members alive: m.* keys whose revision changed within leaseMs
//     for each partition key p.<n>:
//       held by me:   update(p.<n>, me, my revision)  (compare-and-set) ─► ok: renewed; refused: lost ─► onLose(n)
//       held by another: its revision unchanged for leaseMs (by my clock, since I first saw it) ─► expired
//       free (absent, or released: owner null) or expired ─► claimable
//     target = ceil(PARTITIONS / members alive): claim claimable ones up to it (create, or update on
//     the revision seen; a racing contender's CAS fails) ─► onAcquire(n); over it: release (onRelease
//     checkpoints and stops, then update to owner null)
//   close(): release every partition held, delete m.<id>
// A holder that stalls past leaseMs may be taken over; its next renewal fails and it stops. Until
// then both may score the partition: findings have deterministic ids and message ids (detect.ts),
// and checkpoints are fenced by sequence (offsets.ts), so the overlap duplicates nothing stored.
import type { KV, KvEntry } from '@nats-io/kv';
import type { Logger } from '../../src/core/log.js';
import { PARTITIONS } from './partition.js';

export interface LeaseOptions {
  kv: KV;
  id: string;
  log: Logger;
  /** A lease not renewed for this long is taken over (default 5 s). */
  leaseMs?: number;
  onAcquire(p: number): void;
  /** The lease was taken by another holder: stop at once (no checkpoint). */
  onLose(p: number): Promise<void>;
  /** Giving the partition up (balance, close): checkpoint and stop before the key is released. */
  onRelease(p: number): Promise<void>;
  now?: () => number;
  /**
   * The bucket's keys starting with `prefix` (default: kv.keys, which creates a consumer; the detect
   * role lists the stream's subjects instead: consumer CREATE can go unanswered for minutes after a
   * JetStream node dies, reader.ts, and every lease round would fail, renewing nothing).
   */
  keys?: (prefix: string) => Promise<string[]>;
}

interface Lease { owner: string | null }

const pkey = (p: number): string => `p.${p}`;

export class Leases {
  readonly #o: LeaseOptions;
  readonly #leaseMs: number;
  readonly #now: () => number;
  /** Partitions held: the revision of my last write. */
  readonly held = new Map<number, number>();
  /** What I last saw of others' keys: revision and when I first saw it. */
  readonly #seen = new Map<string, { rev: number; since: number }>();
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(o: LeaseOptions) {
    this.#o = o;
    this.#leaseMs = o.leaseMs ?? 5_000;
    this.#now = o.now ?? Date.now;
  }

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        try {
          await this.tick();
        } catch (err) {
          this.#o.log.warn({ err }, 'ClusterLeaseTickError: the partition leases could not be read or renewed; trying again');
        }
        await new Promise<void>((r) => { this.#wake = r; setTimeout(r, Math.max(100, this.#leaseMs / 5)); });
      }
    })();
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    for (const p of [...this.held.keys()]) await this.#release(p);
    await this.#o.kv.delete(`m.${this.#o.id}`).catch(() => {});
  }

  /** One round: heartbeat, renew, count members, claim or release. */
  async tick(): Promise<void> {
    const { kv, id } = this.#o;
    await kv.put(`m.${id}`, String(this.#now()));
    const alive = await this.#membersAlive();
    const entries = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => kv.get(pkey(p))));
    const claimable: { p: number; e: KvEntry | null }[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const e = entries[p];
      const mine = this.held.get(p);
      if (mine !== undefined) {
        if (await this.#renew(p, e, mine)) continue;
      }
      if (e === null || e.operation !== 'PUT' || (e.json<Lease>()).owner === null || this.#expired(pkey(p), e.revision)) claimable.push({ p, e });
    }
    const target = Math.ceil(PARTITIONS / alive);
    for (const c of claimable) {
      if (this.held.size >= target || this.#stopped) break;
      await this.#claim(c.p, c.e);
    }
    while (this.held.size > target && !this.#stopped) {
      const p = Math.max(...this.held.keys());
      await this.#release(p);
    }
  }

  async #renew(p: number, e: KvEntry | null, mine: number): Promise<boolean> {
    try {
      if (e === null || e.revision !== mine) throw new Error('revision moved');
      this.held.set(p, await this.#o.kv.update(pkey(p), JSON.stringify({ owner: this.#o.id }), mine));
      return true;
    } catch {
      this.held.delete(p);
      this.#o.log.warn({ partition: p }, 'ClusterLeaseLost: another detect process holds the partition now; scoring it stops here');
      await this.#o.onLose(p);
      return false;
    }
  }

  async #claim(p: number, e: KvEntry | null): Promise<void> {
    const value = JSON.stringify({ owner: this.#o.id });
    try {
      const rev = e === null ? await this.#o.kv.create(pkey(p), value) : await this.#o.kv.update(pkey(p), value, e.revision);
      this.held.set(p, rev);
      this.#o.log.info({ partition: p, takeover: e !== null && e.operation === 'PUT' && e.json<Lease>().owner !== null }, 'ClusterLeaseAcquired');
      this.#o.onAcquire(p);
    } catch {
      // Another contender won the compare-and-set.
    }
  }

  async #release(p: number): Promise<void> {
    const rev = this.held.get(p);
    this.held.delete(p);
    await this.#o.onRelease(p);
    if (rev !== undefined) await this.#o.kv.update(pkey(p), JSON.stringify({ owner: null }), rev).catch(() => {});
  }

  /** A key of another holder whose revision has not moved for leaseMs by this process's clock. */
  #expired(key: string, rev: number): boolean {
    const now = this.#now();
    const s = this.#seen.get(key);
    if (s === undefined || s.rev !== rev) {
      this.#seen.set(key, { rev, since: now });
      return false;
    }
    return now - s.since >= this.#leaseMs;
  }

  async #membersAlive(): Promise<number> {
    const { kv, id } = this.#o;
    let alive = 1;
    const keys: string[] = [];
    if (this.#o.keys !== undefined) keys.push(...await this.#o.keys('m.'));
    else for await (const k of await kv.keys('m.*')) keys.push(k);
    for (const k of keys) {
      if (k === `m.${id}`) continue;
      const e = await kv.get(k);
      if (e === null || e.operation !== 'PUT') continue;
      const now = this.#now();
      const s = this.#seen.get(k);
      if (s === undefined || s.rev !== e.revision) this.#seen.set(k, { rev: e.revision, since: now });
      if (s === undefined || s.rev !== e.revision || now - s.since < this.#leaseMs) alive++;
    }
    return alive;
  }
}
