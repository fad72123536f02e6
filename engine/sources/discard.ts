// A request body from its headers on (BodyStream), the minimum rate bodies are held to
// (SlowBodies), and what happens to the rest of a body the engine refused (issue 12).
//
// uWS writes an answer with closeConnection and closes the socket at once. Bytes of the body the
// client is still sending are then unread on our side, and the kernel answers them with a reset:
// the client (undici's request and fetch, curl, the OpenTelemetry exporters) sees EPIPE or
// ECONNRESET instead of our answer and its DW_ERR_* code. So a refusal written while the body is
// still arriving (send() with closeConnection: 401/403, 413, 415, 503 past the body budget, the
// head check, ...) waits for the body:
//
//   refused ─► the body's buffers and its share of the body budget given back at once
//     (body.ts BodyReader.fail; it never held the tenant's in-flight slot: ctx.enter comes after
//     the body) ─► the rest counted and dropped as it arrives (not copied, not decoded)
//     ─► the body ended ─► the answer, with Connection: close (uWS closes with nothing unread),
//     written after uWS's parser loop: nothing pipelined behind is routed (common.ts afterParse)
//   cut: answered and closed at once, as before (the client may see the reset), when the body is
//     declared or grows over MAX_BODY_BYTES (no more of a refused body is read than of an
//     accepted one), arrives slower than MIN_BODY_BYTES_PER_SECOND (from its headers, after
//     BODY_GRACE_MS, as an accepted body), is still arriving DISCARD_MAX_MS after the refusal,
//     the engine is closing, or, at the refusal, the engine's bytes to drop (DiscardRate: the body
//     budget at once and per second, engine-wide) do not hold the body's whole rest (its declared
//     length less what arrived; unknown length: up to MAX_BODY_BYTES). A body let in has its whole
//     rest taken then, and is drained to its end: never read in part and then cut for the rate
//   the client gone meanwhile (onAborted) ─► nothing written
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { SourceContext } from './common.js';

/** A body gets this long before its rate is checked against MIN_BODY_BYTES_PER_SECOND. */
export const BODY_GRACE_MS = 2_000;
/** How long the rest of a refused body is read and dropped before the answer is written anyway. */
export const DISCARD_MAX_MS = 30_000;
const WATCH_EVERY_MS = 500;

export interface Watched {
  readonly start: number;
  received: number;
  /** Called once, when the body is too slow or `expired`. */
  slow(): void;
  expired?: (now: number) => boolean;
}

/** Bodies being received, checked against the minimum rate every WATCH_EVERY_MS (one timer per engine, only while there are any). */
export class SlowBodies {
  readonly #rate: number;
  readonly #bodies = new Set<Watched>();
  #timer: NodeJS.Timeout | undefined;
  constructor(bytesPerSecond: number) { this.#rate = bytesPerSecond; }
  add(w: Watched): void {
    if (this.#rate <= 0 && w.expired === undefined) return;
    this.#bodies.add(w);
    this.#timer ??= setInterval(() => this.#check(), WATCH_EVERY_MS).unref();
  }
  delete(w: Watched): void {
    this.#bodies.delete(w);
    if (this.#bodies.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
  /** Whether `w` is behind the minimum rate at `now` (after the grace). */
  tooSlow(w: Watched, now: number): boolean {
    const elapsed = now - w.start;
    return this.#rate > 0 && elapsed > BODY_GRACE_MS && w.received < (this.#rate * (elapsed - BODY_GRACE_MS)) / 1000;
  }
  #check(): void {
    const now = Date.now();
    for (const w of [...this.#bodies]) {
      if (this.tooSlow(w, now) || w.expired?.(now) === true) {
        this.delete(w);
        w.slow();
      }
    }
  }
}

/** Default body budget (body.ts): four maximal bodies; one key's guaranteed share: one of them. */
export const BODY_BUDGET_FACTOR = 4;

/** The engine's body budget in bytes (body.ts BodyBudget), which is also the DiscardRate's size and rate per second. */
export const bodyBudgetBytes = (ctx: SourceContext): number => ctx.maxBodyBytesInFlight ?? BODY_BUDGET_FACTOR * ctx.maxBodyBytes;

/**
 * The bytes of refused bodies the engine reads and drops, engine-wide: up to the body budget
 * (body.ts) at once and as much again per second (a token bucket). A refusal takes its body's whole
 * rest when it is decided, or is cut at once (the diagram): clients without a credential, refused
 * at once, could otherwise keep the event loop reading their 16 MiB bodies at network speed where
 * before the refusal closed the connection. It was first taken chunk by chunk, every refusal let
 * in while the bucket held a byte: 64 connections of a wrong key sending 16 MiB bodies in a loop
 * then had the engine read 80-99 MiB/s of them and drain none to its end (each cut midway once the
 * bucket ran dry), /health p99 91-168 ms against 5-18 ms without the flood (load 15-23 on 2 cores,
 * bench/refusal-flood.bench.ts). Taken whole, with the same bucket: 53-78 ms; with an empty one
 * (every refusal cut at once) 45-48 ms, and before the drain 42-56 ms: what the bucket lets
 * through costs a little; the rest is the flood's connections, whatever is drained.
 */
export class DiscardRate {
  #tokens: number;
  #last = Date.now();
  constructor(readonly bytesPerSecond: number) { this.#tokens = bytesPerSecond; }
  /** Takes `n` bytes to read and drop when the bucket holds them all; false (nothing taken) otherwise. */
  tryTake(n: number): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.bytesPerSecond, this.#tokens + ((now - this.#last) * this.bytesPerSecond) / 1000);
    this.#last = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
  /** Gives back bytes taken and not read (the client went away, or the body was cut). */
  giveBack(n: number): void { if (n > 0) this.#tokens = Math.min(this.bytesPerSecond, this.#tokens + n); }
}

const rateOf = new WeakMap<SourceContext, DiscardRate>();
const discardRate = (ctx: SourceContext): DiscardRate => {
  let r = rateOf.get(ctx);
  if (r === undefined) { r = new DiscardRate(bodyBudgetBytes(ctx)); rateOf.set(ctx, r); }
  return r;
};

const slowOf = new WeakMap<SourceContext, SlowBodies>();

/** The one SlowBodies of an engine (its SourceContext). */
export function slowBodies(ctx: SourceContext): SlowBodies {
  let s = slowOf.get(ctx);
  if (s === undefined) {
    s = new SlowBodies(ctx.minBodyBytesPerSecond ?? 0);
    slowOf.set(ctx, s);
  }
  return s;
}

/**
 * The body of one request, its onData attached from the headers on (the diagram at the top):
 * chunks go to `read` (body.ts BodyReader) until the request is refused, then are dropped.
 */
export class BodyStream {
  /** Where chunks go while the request is not refused. */
  read: ((chunk: ArrayBuffer, isLast: boolean) => void) | undefined;
  readonly #watched: Watched;
  #complete: boolean;
  #answer: (() => void) | undefined;
  #deadline = Infinity;
  /** Bytes of the rest taken from the DiscardRate at the refusal (its whole rest: drained to its end or not at all). */
  #granted = 0;
  #drainedFrom = 0;

  /** `declared`: the Content-Length (-1 none; Infinity malformed: never waited for). */
  constructor(res: HttpResponse, readonly ctx: SourceContext, readonly declared: number, hasBody: boolean) {
    this.#complete = !hasBody;
    this.#watched = { start: Date.now(), received: 0, slow: () => this.#end(), expired: (now) => ctx.closing || now > this.#deadline };
    res.onData((chunk, isLast) => this.#data(chunk, isLast));
  }

  /** Reads the framing headers; call synchronously from the uWS handler. */
  static of(res: HttpResponse, req: HttpRequest, ctx: SourceContext): BodyStream {
    const length = req.getHeader('content-length').trim();
    const declared = length === '' ? -1 : /^\d{1,15}$/.test(length) ? Number(length) : Infinity;
    const chunked = /chunked/i.test(req.getHeader('transfer-encoding'));
    return new BodyStream(res, ctx, declared, declared > 0 || chunked);
  }

  #data(chunk: ArrayBuffer, isLast: boolean): void {
    this.#watched.received += chunk.byteLength;
    if (isLast) this.#complete = true;
    if (this.#answer === undefined) {
      this.read?.(chunk, isLast);
      return;
    }
    if (this.#complete || this.#watched.received > this.ctx.maxBodyBytes) this.#end();
  }

  /**
   * A refusal with closeConnection: false when `answer` is to be written now (the body ended, or
   * one of the cuts of the diagram), true when it was kept until the body ends.
   */
  defer(answer: () => void): boolean {
    const max = this.ctx.maxBodyBytes;
    const now = Date.now();
    if (this.#complete || this.declared > max || this.#watched.received > max || this.ctx.closing) return false;
    const slow = slowBodies(this.ctx);
    if (slow.tooSlow(this.#watched, now)) return false;
    // The whole rest (a body of unknown length: up to MAX_BODY_BYTES), or nothing.
    const rest = (this.declared >= 0 ? this.declared : max) - this.#watched.received;
    if (!discardRate(this.ctx).tryTake(rest)) return false;
    this.#granted = rest;
    this.#drainedFrom = this.#watched.received;
    this.#answer = answer;
    this.#deadline = now + DISCARD_MAX_MS;
    slow.add(this.#watched);
    return true;
  }

  /** The client is gone: nothing to answer. */
  drop(): void {
    if (this.#granted > 0) discardRate(this.ctx).giveBack(this.#granted - (this.#watched.received - this.#drainedFrom));
    this.#granted = 0;
    this.#answer = undefined;
    slowBodies(this.ctx).delete(this.#watched);
  }

  #end(): void {
    const answer = this.#answer;
    this.drop();
    answer?.();
  }
}
