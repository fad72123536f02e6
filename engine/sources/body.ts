// Request bodies of the HTTP sources (ingest and OTLP): who may hold how much memory while a
// body streams in, and for how long.
//
//   headers ─► Content-Length (400 if malformed, 413 over MAX_BODY_BYTES) ─► authenticate,
//     while the bytes that already arrive are charged to the client address's share
//     (and their head, once HEAD_BYTES arrived, is checked against the engine's own limits:
//     a msgpack array of more events than MAX_BATCH_EVENTS gets 413 without waiting for the key lookup)
//     ─► refused: 401/403, its buffers and share given back at once
//     ─► accepted: the tenant's own limits (413 at once when the declared length is over its
//        max_body_bytes) ─► the declared length reserved from the tenant's share of the engine's
//        body budget (503 + Retry-After when it does not fit) ─► the head against the tenant's
//        batch limit (413) ─► buffer allocated, chunks copied in
//     ─► complete ─► handlers.body(body, principal, limits)
//   every half second: a body arriving slower than MIN_BODY_BYTES_PER_SECOND (after BODY_GRACE_MS)
//     ─► 408 DW_ERR_BODY_TOO_SLOW, connection closed, its share given back
//   every refusal is written with Connection: close, once the rest of the body arrived (read and
//     dropped, within bounds: discard.ts), so that the client reads it instead of a reset
//
// Shares (BodyBudget): one key per tenant, and before authentication one per client address
// (X-Forwarded-For only with TRUST_PROXY). A key may always hold up to its share
// (max / BODY_BUDGET_FACTOR, at least one maximal body); beyond it only while a share stays free
// for everyone else. So no tenant, and no caller without credentials, can take the budget from
// another tenant (whenFull: 'drop_newest', per key).
import { BlockList, isIPv6 } from 'node:net';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Principal } from '../../src/core/auth/principal.js';
import { DwError } from '../../src/core/errors.js';
import { ingestError, overBodyLimit, uwsRefusesLength, type FailWriter, type ResState, type SourceContext, type TenantLimits } from './common.js';
import { BODY_BUDGET_FACTOR, bodyBudgetBytes, slowBodies, type SlowBodies, type Watched } from './discard.js';

export { BODY_BUDGET_FACTOR };

export class BodyBudget {
  readonly max: number;
  readonly share: number;
  #used = 0;
  readonly #byKey = new Map<string, number>();
  constructor(max: number, share: number) {
    this.max = max;
    this.share = Math.min(max, share);
  }
  get used(): number { return this.#used; }
  usedBy(key: string): number { return this.#byKey.get(key) ?? 0; }
  /** Within the key's share, or beyond it while a whole share stays free for the other keys. */
  tryReserve(key: string, n: number): boolean {
    const mine = this.usedBy(key);
    if (this.#used + n > this.max) return false;
    if (mine + n > this.share && this.#used + n > this.max - this.share) return false;
    this.#used += n;
    this.#byKey.set(key, mine + n);
    return true;
  }
  release(key: string, n: number): void {
    if (n <= 0) return;
    const left = this.usedBy(key) - n;
    if (left > 0) this.#byKey.set(key, left);
    else this.#byKey.delete(key);
    this.#used = Math.max(0, this.#used - n);
  }
}

const budgets = new WeakMap<SourceContext, BodyBudget>();

function bodyState(ctx: SourceContext): { budget: BodyBudget; slow: SlowBodies } {
  let budget = budgets.get(ctx);
  if (budget === undefined) {
    const max = bodyBudgetBytes(ctx);
    budget = new BodyBudget(max, Math.max(ctx.maxBodyBytes, Math.floor(max / BODY_BUDGET_FACTOR)));
    budgets.set(ctx, budget);
  }
  return { budget, slow: slowBodies(ctx) };
}

/** The one body budget of an engine (its SourceContext), shared by the HTTP and OTLP sources. */
export const bodyBudget = (ctx: SourceContext): BodyBudget => bodyState(ctx).budget;

/** How the engine trusts X-Forwarded-For (TRUST_PROXY, parsed by src/core/config.ts parseTrustProxy). */
export type TrustProxy = boolean | number | readonly string[];

const blockLists = new WeakMap<readonly string[], BlockList>();
function trustedList(list: readonly string[]): BlockList {
  let b = blockLists.get(list);
  if (b === undefined) {
    b = new BlockList();
    for (const entry of list) {
      const [addr, bits] = entry.split('/');
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits === undefined) b.addAddress(addr, type);
      else b.addSubnet(addr, Number(bits), type);
    }
    blockLists.set(list, b);
  }
  return b;
}

const trusts = (list: BlockList, addr: string): boolean => list.check(addr, isIPv6(addr) ? 'ipv6' : 'ipv4');

/**
 * The client address of a request: the peer's, or with TRUST_PROXY the X-Forwarded-For entry
 * that the trusted proxies vouch for (true: the first; n: n hops back; a list: the nearest
 * address that is not one of them). Read synchronously in the uWS handler.
 */
export function clientAddress(res: HttpResponse, req: HttpRequest, trust: TrustProxy): string {
  const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
  if (trust === false || trust === 0) return peer;
  const hops = req.getHeader('x-forwarded-for').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (hops.length === 0) return peer;
  if (trust === true) return hops[0];
  const chain = [...hops, peer];
  if (typeof trust === 'number') return chain[Math.max(0, chain.length - 1 - trust)];
  const list = trustedList(trust);
  let i = chain.length - 1;
  while (i > 0 && trusts(list, chain[i])) i--;
  return chain[i];
}

/** How a source answers: `fail` writes an error (once; closeConnection ends the connection after it). */
export interface BodyHandlers {
  fail(err: DwError, closeConnection: boolean): void;
  /** The whole body, once it arrived and the credential was accepted; with the tenant's decode limits. */
  body(body: Buffer, principal: Principal, limits: TenantLimits): void;
  /**
   * The body's first HEAD_BYTES (fewer only when the body is shorter), once the credential was
   * accepted: throws a DwError (refused at once, the rest dropped unread by the decoder: discard.ts)
   * when they already show the body is over the tenant's limits (a msgpack array's length).
   */
  head?: (head: Buffer, limits: TenantLimits) => void;
}

/** Bytes a body's head check (BodyHandlers.head) is given. */
export const HEAD_BYTES = 16;

/** The engine's own limits (MAX_BODY_BYTES, MAX_BATCH_EVENTS), the ceiling of every tenant's: what a body is held to before its credential is accepted. */
const engineLimits = (ctx: SourceContext): TenantLimits => ({
  maxBodyBytes: ctx.maxBodyBytes, maxBatchEvents: ctx.limits.maxBatchEvents, maxEventBytes: ctx.limits.maxEventBytes,
  sources: { maxBodyBytes: 'config', maxBatchEvents: 'config' },
});

const tooLarge = (bytes: number, max: number, whose: string): DwError =>
  new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `the body is ${bytes} bytes, at most ${max} (${whose})`, { limit: max, bytes });
const noRoom = (budget: BodyBudget): DwError =>
  new DwError('DW_ERR_UNAVAILABLE', `too many request bodies in flight (${budget.share} bytes per tenant of ${budget.max}); retry later`);

/**
 * One body being read (the diagram at the top): its bytes so far, who sent it once known, and
 * what it holds of the budget. Before the credential is accepted only what the client already
 * sent is held, charged to its address.
 */
class BodyReader {
  #key: string;
  #reserved = 0;
  #chunks: Buffer[] | undefined = [];
  #whole: Buffer | undefined;
  #received = 0;
  #complete = false;
  /** Which limits the head was checked against so far. */
  #headChecked: 'none' | 'engine' | 'tenant' = 'none';
  #who: Principal | undefined;
  #limits: TenantLimits | undefined;
  readonly #watched: Watched;

  constructor(
    readonly st: ResState, readonly ctx: SourceContext, readonly declared: number, client: string,
    readonly budget: BodyBudget, readonly slow: SlowBodies, readonly handlers: BodyHandlers,
  ) {
    this.#key = `addr:${client}`;
    this.#watched = { start: Date.now(), received: 0, slow: () => this.fail(new DwError('DW_ERR_BODY_TOO_SLOW', `under ${ctx.minBodyBytesPerSecond} bytes per second`), true) };
    const settle = st.finish;
    st.finish = () => {
      this.#free();
      settle();
    };
    slow.add(this.#watched);
  }

  get #over(): boolean { return this.st.done || this.st.aborted; }

  /** Refuses the body: what it holds is given back now, before the rest of it is dropped (discard.ts). */
  fail(err: DwError, close: boolean): void {
    if (this.#over) return;
    this.#free();
    this.handlers.fail(err, close);
  }

  #free(): void {
    this.slow.delete(this.#watched);
    this.budget.release(this.#key, this.#reserved);
    this.#reserved = 0;
    this.#chunks = undefined;
    this.#whole = undefined;
  }

  /** The credential was accepted: the tenant's limit and share apply from now on. */
  authenticated(p: Principal, limits: TenantLimits): void {
    if (this.#over) return;
    const known = this.declared >= 0;
    const size = known ? this.declared : this.#received;
    if (size > limits.maxBodyBytes) return this.fail(overBodyLimit(size, limits), true);
    // From the address's share to the tenant's: the declared length now, or what arrived so far.
    this.budget.release(this.#key, this.#reserved);
    this.#reserved = 0;
    this.#key = `tenant:${p.tenantId}`;
    if (!this.budget.tryReserve(this.#key, size)) return this.fail(noRoom(this.budget), true);
    this.#reserved = size;
    this.#who = p;
    this.#limits = limits;
    // The head first: a body it refuses is never given its buffer.
    if (!this.#checkHead()) return;
    if (known && !this.#complete && this.#chunks !== undefined) {
      // Authenticated and within its limit: now the buffer of the declared length is worth allocating.
      const whole = Buffer.allocUnsafe(this.declared);
      let at = 0;
      for (const c of this.#chunks) { c.copy(whole, at); at += c.length; }
      this.#whole = whole;
      this.#chunks = undefined;
    }
    this.#deliver();
  }

  /**
   * The head check (BodyHandlers.head), once HEAD_BYTES (or the whole body) arrived: against the
   * engine's own limits at once, authenticated or not (no tenant may exceed them: a msgpack array
   * of 15 M events is refused from its first bytes, before any key or plan lookup), then once more
   * against the tenant's when its credential is accepted. false when it refused the body.
   */
  #checkHead(): boolean {
    const check = this.handlers.head;
    if (check === undefined || (this.#received < HEAD_BYTES && !this.#complete)) return true;
    const limits = this.#limits;
    if (limits === undefined ? this.#headChecked !== 'none' : this.#headChecked === 'tenant') return true;
    this.#headChecked = limits === undefined ? 'engine' : 'tenant';
    const n = Math.min(this.#received, HEAD_BYTES);
    const head = this.#whole !== undefined ? this.#whole.subarray(0, n) : Buffer.concat(this.#chunks ?? [], n);
    try {
      check(head, limits ?? engineLimits(this.ctx));
      return true;
    } catch (err) {
      this.fail(err as DwError, true);
      return false;
    }
  }

  /** onData: copies the chunk (the ArrayBuffer is neutered when onData returns). */
  data(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.#over || this.#complete) return;
    const n = chunk.byteLength;
    const max = this.#limits?.maxBodyBytes ?? this.ctx.maxBodyBytes;
    const known = this.declared >= 0;
    if (this.#limits !== undefined && this.#received + n > max) return this.fail(overBodyLimit(this.#received + n, this.#limits), true);
    if (this.#received + n > max || (known && this.#received + n > this.declared)) {
      return this.fail(tooLarge(this.#received + n, known ? Math.min(this.declared, max) : max, 'MAX_BODY_BYTES or Content-Length'), true);
    }
    // Before authentication every byte is charged as it arrives (to the address); after it,
    // only a body of unknown length still grows (a declared one was reserved whole).
    if (this.#whole === undefined) {
      if (!this.budget.tryReserve(this.#key, n)) return this.fail(noRoom(this.budget), true);
      this.#reserved += n;
      this.#chunks?.push(Buffer.from(new Uint8Array(chunk)));
    } else {
      this.#whole.set(new Uint8Array(chunk), this.#received);
    }
    this.#received += n;
    this.#watched.received = this.#received;
    if (!isLast) { this.#checkHead(); return; }
    this.#complete = true;
    this.slow.delete(this.#watched);
    if (!this.#checkHead()) return;
    this.#deliver();
  }

  #deliver(): void {
    if (!this.#complete || this.#who === undefined || this.#limits === undefined || this.#over) return;
    const body = this.#whole !== undefined ? this.#whole.subarray(0, this.#received) : Buffer.concat(this.#chunks ?? [], this.#received);
    this.#chunks = undefined;
    this.#whole = undefined;
    this.handlers.body(body, this.#who, this.#limits);
  }
}

/**
 * Streams a request body in, authenticated as it arrives (the diagram at the top). Call
 * synchronously from the uWS handler, after beginRequest() (its chunks come from `st.body`, whose
 * onData is attached there; without it, onData is attached here).
 */
export function readBody(
  res: HttpResponse, st: ResState, ctx: SourceContext, declared: number, client: string,
  principal: Promise<Principal>, handlers: BodyHandlers,
): void {
  const { budget, slow } = bodyState(ctx);
  const reader = new BodyReader(st, ctx, declared, client, budget, slow, handlers);
  principal.then(async (p) => reader.authenticated(p, await ctx.tenantLimits(p.tenantId)))
    .catch((err: unknown) => reader.fail(ingestError(err, ctx.log), true));
  if (st.body !== undefined) st.body.read = (chunk, isLast) => reader.data(chunk, isLast);
  else res.onData((chunk, isLast) => reader.data(chunk, isLast));
}

export const MAX_IDEMPOTENCY_KEY = 200;

/**
 * Checks the Idempotency-Key and the declared length, starts authentication, and streams the
 * body in with readBody(); `onBody` gets the whole body once the credential was accepted, with
 * the tenant's decode limits. Call synchronously from the uWS handler, after beginRequest().
 */
export function acceptBody(
  res: HttpResponse, st: ResState, ctx: SourceContext, fail: FailWriter,
  headers: { authorization: string | undefined; idempotencyKey: string; contentLength: string; client: string },
  onBody: (body: Buffer, principal: Principal, limits: TenantLimits) => void,
  head?: BodyHandlers['head'],
): void {
  if (headers.idempotencyKey.length > MAX_IDEMPOTENCY_KEY) {
    fail(res, st, new DwError('DW_ERR_VALIDATION', `Idempotency-Key is longer than ${MAX_IDEMPOTENCY_KEY} characters`), true);
    return;
  }
  const length = headers.contentLength.trim();
  if (length !== '' && !/^\d+$/.test(length)) {
    fail(res, st, new DwError('DW_ERR_VALIDATION', `Content-Length must be a non-negative integer, not ${JSON.stringify(length.slice(0, 20))}`), true);
    return;
  }
  const declared = length === '' ? -1 : Number(length);
  if (declared > ctx.maxBodyBytes) {
    fail(res, st, tooLarge(declared, ctx.maxBodyBytes, 'MAX_BODY_BYTES'), true);
    return;
  }
  // uWS's parser reads at most 9 digits, as the edge proxy (the same rule: common.ts).
  if (uwsRefusesLength(length)) {
    fail(res, st, new DwError('DW_ERR_VALIDATION', `Content-Length has more than 9 digits: ${JSON.stringify(length.slice(0, 20))}`), true);
    return;
  }
  // Authentication runs while the body streams in; a refusal frees the body's share at once (readBody).
  const principal = ctx.authenticate(headers.authorization).then((p) => { st.tenantId = p.tenantId; return p; });
  principal.catch(() => {});
  readBody(res, st, ctx, declared, headers.client, principal, {
    fail: (err, close) => fail(res, st, err, close),
    body: onBody,
    head,
  });
}
