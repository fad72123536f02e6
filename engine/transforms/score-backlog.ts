// The scorer's backlog (transforms/score.ts): the events waiting to be scored, in all and per
// tenant, and the writers that room() holds back until it shrinks (issue 12's fairness).
//
//   Scorer.push ─► events++ (per event), pushed(tenant, n) (per batch)
//   a task starts ─► add(tenant, −n)
//   room()        ─► undefined under highWaterEvents, else a promise shared by every such writer
//   room(tenant)  ─► undefined unless the tenant is blocked: a quarter of highWaterEvents of its
//                    own waiting, or a task's worth while the whole backlog is over highWaterEvents
//   wake()        ─► (after tasks start) resolves the tenants no longer blocked, then room()'s
//                    promise once the backlog is under highWaterEvents
export class Backlog {
  /** Events waiting over all streams (queued and not yet handed to a task). */
  events = 0;
  readonly #highWater: number;
  /** Writers waiting in room() for the backlog to go under highWaterEvents. */
  #roomWaiters: (() => void)[] = [];
  #room: Promise<void> | undefined;
  /** Events waiting per tenant, and writers waiting in room(tenant). */
  readonly #pendingOf = new Map<string, number>();
  readonly #tenantRoom = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  /** Events waiting that hold a tenant back: on its own, or while the whole backlog is over highWater. */
  readonly #tenantHighWater: number; readonly #tenantFloor: number;

  constructor(highWater: number, maxTaskEvents: number) {
    this.#highWater = highWater;
    this.#tenantHighWater = Math.max(1, Math.floor(this.#highWater / 4));
    this.#tenantFloor = Math.min(this.#tenantHighWater, maxTaskEvents);
  }

  /** Whether the backlog is at highWaterEvents or over (room() holds writers back). */
  get full(): boolean { return this.events >= this.#highWater; }

  /** Scorer.room(): see there. */
  room(tenantId?: string): Promise<void> | undefined {
    if (tenantId !== undefined) {
      if (!this.#blocked(tenantId)) return undefined;
      let w = this.#tenantRoom.get(tenantId);
      if (w === undefined) {
        let resolve = (): void => {};
        this.#tenantRoom.set(tenantId, w = { promise: new Promise<void>((r) => { resolve = r; }), resolve });
      }
      return w.promise;
    }
    if (this.events < this.#highWater) return undefined;
    this.#room ??= new Promise((resolve) => this.#roomWaiters.push(resolve));
    return this.#room;
  }

  /** Whether room(tenant) holds the tenant's writers back: its own share, or the whole backlog over the mark while it has a task's worth waiting. */
  #blocked(tenantId: string): boolean {
    const mine = this.#pendingOf.get(tenantId) ?? 0;
    return mine >= this.#tenantHighWater || (this.events >= this.#highWater && mine >= this.#tenantFloor);
  }

  add(tenantId: string, n: number): void {
    const left = (this.#pendingOf.get(tenantId) ?? 0) + n;
    if (left > 0) this.#pendingOf.set(tenantId, left); else this.#pendingOf.delete(tenantId);
    this.events += n;
  }

  /** A batch's events counted for its tenant (events, which the bound reads, was counted per event). */
  pushed(tenantId: string, added: number): void {
    this.#pendingOf.set(tenantId, (this.#pendingOf.get(tenantId) ?? 0) + added);
  }

  /** Releases the writers that room() no longer holds back. */
  wake(): void {
    for (const [tenantId, w] of this.#tenantRoom) {
      if (this.#blocked(tenantId)) continue;
      this.#tenantRoom.delete(tenantId);
      w.resolve();
    }
    if (this.#room !== undefined && this.events < this.#highWater) {
      this.#room = undefined;
      for (const f of this.#roomWaiters.splice(0)) f();
    }
  }

  /** Nothing waits any more (the queues were emptied); writers are released by the next wake(). */
  clear(): void {
    this.#pendingOf.clear();
    this.events = 0;
  }
}
