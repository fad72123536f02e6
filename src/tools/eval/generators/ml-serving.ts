// The `ml` generator's model serving (see ml.ts):
//   gateway/models   the API gateway: a line per request (tenant, user, route, model, status,
//                    prompt and completion tokens, time to first token, latency, upstream);
//                    rate-limited requests (~1.5 %), client disconnects, an upstream retry now
//                    and then (chat only; a 503 rarer still), a quota sync every 5 minutes, route
//                    updates of the rollout
//   inference/vllm   vLLM replicas: each chat request received (its sampling parameters) and
//                    answered (uvicorn's access line), aborted when the client leaves, KV-cache
//                    preemption warnings at load, engine metrics every 30 s per replica; the
//                    rollout's restarts (shutdown, startup, weights loaded); metadata {pod}
import { MODELS, podOf, ROLLED_OUT, STREAMS, type Model, type Replica, type Row, type W } from './ml-lines.js';
import { byShare } from './random.js';

/** A gateway request before it is written: every field may be changed by an incident. */
export interface Req {
  model: Model; name: string; tenant: string; status: number; prompt: number; completion: number; ttft: number; ms: number; replica?: Replica; upstream: string;
}
/** Labels of a request's lines, per stream. */
export interface ReqKinds { gateway?: string; vllm?: string }

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, Math.round(x)));
const GATEWAY_IP = '10.244.0.31';

/** The llama replica that serves a request for `name` at ts (the rollout moves traffic). */
function llamaReplica(w: W, ts: number, name: string): Replica {
  const [a, b] = w.replicas;
  if (ts < w.rollout.at) return w.r.pick([a, b]);
  if (ts < w.rollout.full) return name === ROLLED_OUT ? b : a;
  if (ts < w.rollout.full + 150_000) return b;
  return w.r.pick([a, b]);
}

/** A fresh request at ts: model by share, tokens and latency around the model's usual, a status. */
export function draft(w: W, ts: number, model: Model = byShare(w.r, MODELS)): Req {
  const { r } = w;
  const name = model.key === 'llama' ? w.llamaAt(ts) : model.name;
  const chat = model.route !== '/v1/embeddings';
  const replica = model.key === 'llama' ? llamaReplica(w, ts, name) : chat ? w.replicas[2] : undefined;
  const prompt = chat ? clamp(w.around(650, 0.8), 12, 7800) : clamp(w.around(180, 0.7), 3, 512);
  const completion = chat ? clamp(w.around(model.out, 0.7), 1, 2048) : 0;
  let v = r.next();
  const status = (v -= 0.015) < 0 ? 429 : (v -= 0.005) < 0 ? 400 : (v -= 0.003) < 0 ? 499 : chat && (v -= 0.0015) < 0 ? 503 : 200;
  const ttft = chat ? w.around(model.ttft * (0.7 + 0.4 * w.rate(ts)), 0.3) : 0;
  const ms = status === 429 ? r.int(1, 4) : status === 400 ? r.int(3, 40) : chat ? ttft + (completion / w.around(model.tps, 0.2)) * 1000 * (status === 499 ? r.next() : 1) : w.around(35 * (1 + prompt / 512), 0.3);
  return { model, name, tenant: w.tenant().name, status, prompt, completion, ttft, ms, replica, upstream: replica === undefined ? `tei-bge-large-${r.int(0, 1)}` : podOf(replica, ts) };
}

/** The gateway's line of a request that ends at ts. */
export function gatewayLine(w: W, ts: number, q: Req, kind?: string): Row {
  const { r } = w;
  const level = q.status === 429 || q.status === 503 ? 'warn' : 'info';
  const msg = q.status === 429 ? 'rate limit exceeded' : q.status === 503 ? 'upstream unavailable' : 'request completed';
  const done = q.status === 200 || q.status === 499;
  return w.row(ts, STREAMS.gateway, w.gw(ts, level, msg, {
    request_id: `req_${r.hex(20)}`, tenant: q.tenant, user: `u_${r.hex(8)}`, route: q.model.route, model: q.name, status: q.status,
    prompt_tokens: q.prompt, completion_tokens: done ? q.completion : 0, ttft_ms: done ? Math.round(q.ttft) : 0, latency_ms: Math.round(q.ms), upstream: q.status === 429 ? '-' : q.upstream, stream: q.model.route !== '/v1/embeddings',
  }), undefined, kind);
}

/** An upstream retry (a normal but infrequent warning; a retry storm repeats it). */
export const retryLine = (w: W, ts: number, model: string, upstream: string, kind?: string): Row =>
  w.row(ts, STREAMS.gateway, w.gw(ts, 'warn', 'retrying upstream', { request_id: `req_${w.r.hex(20)}`, model, upstream, attempt: w.r.int(2, 3), reason: w.r.pick(['503 Service Unavailable', 'connection reset by peer']) }), undefined, kind);

const SAMPLING = (w: W): string => `SamplingParams(n=1, presence_penalty=0.0, frequency_penalty=0.0, repetition_penalty=1.0, temperature=${w.r.pick(['0.0', '0.2', '0.7', '0.7', '1.0'])}, top_p=${w.r.pick(['0.9', '0.95', '1.0'])}, top_k=-1, min_p=0.0, seed=None, stop=[], stop_token_ids=[], max_tokens=${w.r.pick([256, 512, 1024, 1024, 2048, 4096])}, min_tokens=0)`;

/** A request (of `model` if given) on every stream it touches (the gateway, a vLLM replica), `change` applied to its draft, `kinds` labelling its lines. */
export function request(w: W, rows: Row[], ts: number, change?: (q: Req) => void, kinds: ReqKinds = {}, model?: Model): void {
  const { r } = w;
  const q = draft(w, ts, model);
  change?.(q);
  const end = ts + Math.round(q.ms);
  const x = q.replica;
  if (x !== undefined && q.status !== 429 && q.status !== 400) {
    const meta = { pod: podOf(x, ts) };
    const id = r.hex(32);
    if (q.status === 503 || r.chance(0.004)) rows.push(retryLine(w, ts + r.int(2, 30), q.name, q.upstream));
    rows.push(w.row(ts + 2, STREAMS.vllm, w.vllm(ts + 2, 'INFO', 'logger.py:37', `Received request chatcmpl-${id}: prompt: '', params: ${SAMPLING(w)}, prompt_token_ids: [], lora_request: None, prompt_adapter_request: None.`), meta, kinds.vllm));
    if (w.rate(ts) > 1 && r.chance(0.004)) {
      rows.push(w.row(ts + 400, STREAMS.vllm, w.vllm(ts + 400, 'WARNING', 'scheduler.py:1560', `Sequence group chatcmpl-${id} is preempted by PreemptionMode.RECOMPUTE mode because there is not enough KV cache space. This can affect the end-to-end performance. Increase gpu_memory_utilization or tensor_parallel_size to provide more KV cache memory. total_num_cumulative_preemption=${r.int(1, 400)}`), meta));
    }
    if (q.status === 499) rows.push(w.row(end, STREAMS.vllm, w.vllm(end, 'INFO', 'async_llm_engine.py:207', `Aborted request chatcmpl-${id}.`), meta, kinds.vllm));
    else rows.push(w.row(end - 1, STREAMS.vllm, `INFO:     ${GATEWAY_IP}:${r.int(32_768, 60_999)} - "POST ${q.model.route} HTTP/1.1" ${q.status} ${q.status === 200 ? 'OK' : 'Service Unavailable'}`, meta, kinds.vllm));
  }
  rows.push(gatewayLine(w, end + r.int(0, 3), q, kinds.gateway));
}

/** A replica's engine metrics at ts (Pending and the KV cache usage may be forced by an incident). */
export function metricsLine(w: W, ts: number, x: Replica, pending?: number, kind?: string): Row {
  const { r } = w;
  const running = clamp(w.around(9 * w.rate(ts) * (x.model === 'mistral' ? 1.4 : 1), 0.3), 0, 60);
  const kv = pending === undefined ? Math.min(92, running * w.around(3.2, 0.2)) : 98.5 + r.next() * 1.4;
  const queued = pending ?? (w.rate(ts) > 1.2 && r.chance(0.2) ? r.int(1, 3) : 0);
  return w.row(ts, STREAMS.vllm, w.vllm(ts, 'INFO', 'metrics.py:351', `Avg prompt throughput: ${(running * w.around(150, 0.3)).toFixed(1)} tokens/s, Avg generation throughput: ${(running * w.around(32, 0.2)).toFixed(1)} tokens/s, Running: ${running} reqs, Swapped: 0 reqs, Pending: ${queued} reqs, GPU KV cache usage: ${kv.toFixed(1)}%, CPU KV cache usage: 0.0%.`), { pod: podOf(x, ts) }, kind);
}

/** A replica's restart in the rollout: its new pod's startup, then the old pod's shutdown. */
function restart(w: W, rows: Row[], x: Replica): void {
  const { r } = w;
  let at = x.restart;
  const meta = { pod: x.next };
  const say = (msg: string, file?: string, dt = r.int(50, 900)): void => { at += dt; rows.push(w.row(at, STREAMS.vllm, file === undefined ? msg : w.vllm(at, 'INFO', file, msg), meta)); };
  say('vLLM API server version 0.6.3.post1', 'api_server.py:528', 0);
  say(`args: Namespace(host=None, port=8000, model='/models/${ROLLED_OUT}', served_model_name=['${ROLLED_OUT}'], tensor_parallel_size=4, max_model_len=8192, gpu_memory_utilization=0.92, enable_prefix_caching=True, disable_log_requests=False, max_log_len=0)`, 'api_server.py:529');
  say(`Initializing an LLM engine (v0.6.3.post1) with config: model='/models/${ROLLED_OUT}', dtype=torch.bfloat16, max_seq_len=8192, tensor_parallel_size=4, quantization=None, enforce_eager=False, seed=0`, 'llm_engine.py:237', r.int(2000, 5000));
  say(`Loading model weights took ${(32.8 + r.next() * 0.2).toFixed(4)} GB`, 'model_runner.py:1067', r.int(60_000, 95_000));
  say(`# GPU blocks: ${r.int(9000, 10_500)}, # CPU blocks: 3276`, 'distributed_gpu_executor.py:57', r.int(3000, 8000));
  say('Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static.', 'model_runner.py:1395');
  say(`Graph capturing finished in ${r.int(14, 24)} secs.`, 'model_runner.py:1523', r.int(14_000, 24_000));
  for (const l of ['INFO:     Started server process [1]', 'INFO:     Waiting for application startup.', 'INFO:     Application startup complete.', 'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)']) say(l, undefined, r.int(5, 300));
  const old = { pod: x.pod };
  for (const l of ['INFO:     Shutting down', 'INFO:     Waiting for application shutdown.', 'INFO:     Application shutdown complete.', 'INFO:     Finished server process [1]']) { at += r.int(200, 3000); rows.push(w.row(at, STREAMS.vllm, l, old)); }
}

/** The gateway's and the replicas' lines of the whole run. */
export function serving(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.6)) request(w, rows, ts);
  for (const x of w.replicas) {
    for (let ts = w.t0 + r.int(0, 29_999); ts < w.end; ts += 30_000 + r.int(-200, 200)) {
      if (ts < x.restart || ts > x.restart + 150_000) rows.push(metricsLine(w, ts, x));
    }
    if (x.restart < w.end) restart(w, rows, x);
  }
  for (let ts = w.t0 + r.int(0, 299_999); ts < w.end; ts += 300_000 + r.int(-500, 500)) {
    rows.push(w.row(ts, STREAMS.gateway, w.gw(ts, 'info', 'quota sync', { tenants: w.tenants.length, updated: r.int(0, 3), took_ms: r.int(4, 40) })));
  }
  const route = (ts: number, weight: number): void => { rows.push(w.row(ts, STREAMS.gateway, w.gw(ts, 'info', 'route updated', { route: '/v1/chat/completions', model: ROLLED_OUT, upstream: 'vllm-llama70b', weight, config_version: `v${w.seed % 90 + 140}` }))); };
  route(w.rollout.at + 150_000 - r.int(1000, 5000), 10);
  route(w.rollout.full - r.int(1000, 5000), 100);
}
