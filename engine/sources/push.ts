// The request path the standard push APIs share (Loki, Elasticsearch bulk, Splunk HEC): the same
// admission as POST /api/v1/events/ingest, with each protocol's own decoder and answers.
//
//   request ─► headers read synchronously (credential: credentials.ts; Content-Encoding; the
//     protocol's own headers, path and query: `read`) ─► onAborted ─► body streamed while
//     authenticating (401/403 decided at once; answered once the body ended: discard.ts) ─► the tenant's body limit (413) and share of the body
//     budget (503; body.ts) ─► the in-flight cap of a tenant over its share (turns.ts enter; waits
//     undecoded) ─► Content-Encoding (encoding.ts; output capped at the tenant's body
//     limit: 413) ─► protocol.decode (bytes ─► records + per-event rejections, within the tenant's
//     batch limit) ─► ?atomic=true: one rejection refuses all ─► ctx.ingest() (rate, backlog,
//     quota, store: ingest.ts) ─► protocol.answer
//
// Errors are written by the protocol (`fail`), in its own shape, with our DW_ERR_* code in it.
// uWS rules (STYLE.md §7) as in http.ts: every header is read before the first await.
import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Principal } from '../../src/core/auth/principal.js';
import { DwError } from '../../src/core/errors.js';
import { eventsRejected } from './refusals.js';
import type { Rejection } from '../transforms/decode.js';
import type { PushDecoded } from '../transforms/push-events.js';
import { acceptBody, clientAddress } from './body.js';
import { asTenantLimit, beginRequest, ingestError, type FailWriter, type IngestResult, type ResState, type SourceContext, type TenantLimits } from './common.js';
import { credentialOf } from './credentials.js';
import { contentEncoding, decompress, unsupportedEncoding, type Encoding } from './encoding.js';

/** The request as the handler saw it: what `read` took from it, and the headers every push path reads. */
export interface PushRequest<R> {
  readonly own: R;
  readonly authorization: string | undefined;
  readonly atomic: boolean;
}

export interface PushProtocol<R, D extends PushDecoded> {
  /** Key prefix of an Idempotency-Key in ingest_batches (one namespace per protocol). */
  readonly keyPrefix: string;
  /** Writes an error in the protocol's shape (it counts the refusal). */
  readonly fail: FailWriter;
  /** Reads the protocol's own headers, path parameters and query, synchronously; a DwError refuses the request. */
  read(req: HttpRequest): R | DwError;
  /** A Content-Encoding value the protocol reads as none (Loki: `snappy`, handled by its decoder). */
  readonly passEncoding?: string;
  /** The decompressed body ─► records and rejections (pure; throws a DwError to refuse the whole request). */
  decode(body: Buffer, limits: TenantLimits, receivedAt: number, own: R): D;
  /** The answer after storing (`stored.accepted` may be 0: nothing was valid). */
  answer(res: HttpResponse, st: ResState, decoded: D, stored: IngestResult, request: PushRequest<R>, close: boolean): void;
}

const ATOMIC = /(?:^|&)atomic=(?:true|1)(?:&|$)/;

/** The first refusal, its details carrying every rejected event (as the native ingest's ?atomic=true answers). */
function withRejected(first: DwError, rejected: readonly Rejection[]): DwError {
  return Object.assign(first, { details: { ...first.details, rejected } });
}

/** A uWS POST handler running the shared path (the diagram at the top) with one protocol's decoder and answers. */
export function pushHandler<R, D extends PushDecoded>(ctx: SourceContext, p: PushProtocol<R, D>): (res: HttpResponse, req: HttpRequest) => void {
  return function push(res: HttpResponse, req: HttpRequest): void {
    const begun = beginRequest(res, req, ctx, p.fail, req.getUrl());
    if (begun === undefined) return;
    const st = begun;
    const authorization = credentialOf(req);
    const encodingHeader = req.getHeader('content-encoding');
    const encoding: Encoding | null = p.passEncoding !== undefined && encodingHeader.trim().toLowerCase() === p.passEncoding ? 'identity' : contentEncoding(encodingHeader);
    const idempotencyKey = req.getHeader('idempotency-key');
    const lengthHeader = req.getHeader('content-length');
    const atomic = ATOMIC.test(req.getQuery() ?? '');
    const client = clientAddress(res, req, ctx.trustProxy ?? false);
    const own = p.read(req);
    if (own instanceof DwError) {
      p.fail(res, st, own, true);
      return;
    }
    if (encoding === null) {
      p.fail(res, st, unsupportedEncoding(encodingHeader), true);
      return;
    }
    const request: PushRequest<R> = { own, authorization, atomic };
    acceptBody(res, st, ctx, p.fail, { authorization, idempotencyKey, contentLength: lengthHeader, client }, (body, principal, limits) => {
      void handle(body, principal, limits);
    });

    async function handle(raw: Buffer, principal: Principal, limits: TenantLimits): Promise<void> {
      let leave: (() => void) | undefined;
      try {
        // A tenant over its share, with its few batches in flight, waits here (authenticated, within its limits, undecoded).
        leave = await ctx.enter(principal.tenantId);
        if (st.aborted) return;
        const body = await decompress(raw, encoding!, limits.maxBodyBytes);
        await ctx.turn(principal.tenantId, body.length);
        if (st.aborted) return;
        const decoded = p.decode(body, limits, Date.now(), own as R);
        eventsRejected(st, decoded.rejected);
        if (atomic && decoded.firstError !== undefined) throw withRejected(decoded.firstError, decoded.rejected);
        // Records without a time of their own take the receive time, so a resend is compared by its body.
        const key = idempotencyKey === '' ? undefined : `${p.keyPrefix}:${idempotencyKey}`;
        const fingerprint = key === undefined ? undefined : createHash('sha256').update(body).digest('hex');
        const stored = await ctx.ingest(principal.tenantId, decoded.records, body.length, key, fingerprint);
        p.answer(res, st, decoded, stored, request, ctx.closing);
      } catch (err) {
        p.fail(res, st, ingestError(asTenantLimit(err, limits), ctx.log), ctx.closing);
      } finally {
        leave?.();
      }
    }
  };
}
