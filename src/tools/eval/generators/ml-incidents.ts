// The `ml` generator's labelled incidents (see ml.ts), all after a 30-minute warm-up, none in the
// last minute, 5 s apart and outside the silenced stretch (labelled.ts plantIncidents):
//   new_error        4 never-seen error templates in their stream's format (a traceback has every
//                    line labelled): vLLM's CUDA out of memory, the trainer's NCCL error, the
//                    scheduler's admission webhook refusing a pod, a signature mismatch at the
//                    object store, the RDMA NIC's command failure in a node's kernel, the gateway
//                    unable to load a tenant's quota, vLLM failing to apply a chat template
//   rare_error       one error template (by seed: the gateway's interrupted upstream stream, a
//                    write failing on a lost drive, a pod binding conflict) recurring all run
//                    long: 3 lone occurrences anywhere and 6 after its burst
//   rare_burst       the same template's one burst (70-110 over 50-120 s) in the first half
//   unusual_value    5 known lines with an unusual value for their context: an embeddings
//                    request 30× its usual latency (a chat completion normally takes that long),
//                    a GPU at 94-99 °C (normally at most ~75), a training step 25× its usual time,
//                    a vLLM replica with 150-300 requests pending (normally 0-3) and its KV cache
//                    full, a data shard read 30× its usual time
//   unseen_category  3 values never seen: a model never deployed nor announced (unlike the
//                    rollout's), a tenant, a scheduler queue, an access key on the checkpoints
//   retry_storm      2 bursts (40-90 in 3-8 s) of a normal but infrequent line: the gateway's
//                    upstream retries, the object store's SlowDown, jobs left unschedulable
//   silence          one busy stream (inference/vllm on even seeds, storage/minio on odd) silent
//                    for 12-25 minutes: the stream's first line after the gap is labelled
//   gpu_xid          a GPU fallen off the bus (Xid 79): the kernel's lines, the monitor's
//                    failing samples of that GPU (it is gone afterwards), the scheduler's node
//                    condition
//   nan_loss         the training loss spiking, then NaN for 3-6 minutes of steps (grad norm
//                    NaN), with the trainer's warnings when it goes and comes back
import { plantIncidents } from './labelled.js';
import { MODELS, NEW_KEYS, NEW_MODELS, NEW_QUEUES, NEW_TENANTS, podOf, rowNear, STREAMS, WARMUP_MS, type Row, type W } from './ml-lines.js';
import { audit, job, shardRead, slowDown, unschedulable } from './ml-ops.js';
import { metricsLine, request, retryLine } from './ml-serving.js';
import { ckptName, stepLine } from './ml-training.js';

type Maker = (w: W, ts: number) => Row[];
const NE = 'new_error';
const vllmErr = (w: W, ts: number, at: string, lines: string[], kind: string): Row[] => {
  const pod = { pod: podOf(w.r.pick(w.replicas), ts) };
  return lines.map((l) => w.row(ts, STREAMS.vllm, w.vllm(ts, 'ERROR', at, l), pod, kind));
};
const kernel = (w: W, ts: number, node: string, msg: string, kind: string): Row => w.row(ts, STREAMS.gpu, w.syslog(ts, node, 'kernel', msg), undefined, kind);

const NEW_ERRORS: Maker[] = [
  (w, ts) => {
    const free = (0.5 + w.r.next()).toFixed(2), gpu = w.r.int(0, 3);
    const oom = `CUDA out of memory. Tried to allocate 2.50 GiB. GPU ${gpu} has a total capacity of 79.15 GiB of which ${free} GiB is free. Process ${w.r.int(80, 200)} has 77.9 GiB memory in use.`;
    return vllmErr(w, ts, 'engine.py:160', [
      oom, 'Traceback (most recent call last):', '  File "/usr/local/lib/python3.12/dist-packages/vllm/engine/multiprocessing/engine.py", line 158, in start',
      '    self.run_engine_loop()', '  File "/usr/local/lib/python3.12/dist-packages/vllm/worker/model_runner.py", line 1654, in execute_model', `torch.OutOfMemoryError: ${oom}`,
    ], NE);
  },
  (w, ts) => [
    w.python(ts, 'train', 'ERROR', `Uncaught exception in training step, rank 0 (world size 16)`), 'Traceback (most recent call last):', '  File "/workspace/train.py", line 388, in train_step',
    '    loss.backward()', 'torch.distributed.DistBackendError: NCCL error in: ../torch/csrc/distributed/c10d/NCCLUtils.hpp:275, unhandled system error (run with NCCL_DEBUG=INFO for details), NCCL version 2.21.5',
    w.python(ts + 900, 'train.elastic', 'WARNING', 'Re-initialising the process group and retrying the step (elastic restart 1/3)'),
  ].map((l) => w.row(ts, STREAMS.trainer, l, undefined, NE)),
  (w, ts) => [w.row(ts, STREAMS.jobs, w.job(ts, 'error', 'gpu-scheduler', 'pod creation failed', { job_id: `job-${w.r.hex(8)}`, error: 'admission webhook "gpu-quota.platform.io" denied the request: namespace quota for nvidia.com/gpu would be exceeded' }), undefined, NE)],
  (w, ts) => [audit(w, ts, { api: 'PutObject', bucket: 'eval-results', object: `adhoc/${w.r.hex(8)}.json`, code: 403, rx: w.r.int(2, 90) * 1024, tx: 540, ms: w.around(3, 0.3), host: `10.42.3.${w.r.int(10, 250)}`, key: 'svc-eval', error: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' }, NE)],
  (w, ts) => [kernel(w, ts, w.nodes[w.r.int(0, 4)].name, `mlx5_core 0000:${w.r.pick(['0c', '4c', '8c', 'cc'])}:00.0: mlx5_cmd_out_err:838:(pid ${w.r.int(1000, 90_000)}): CREATE_MKEY(0x200) op_mod(0x0) failed, status bad resource state(0x9), syndrome (0x${w.r.hex(6)}), err(-22)`, NE)],
  (w, ts) => [w.row(ts, STREAMS.gateway, w.gw(ts, 'error', 'failed to load tenant quota', { tenant: w.tenant().name, error: 'redis: connection pool timeout', fallback: 'deny' }), undefined, NE)],
  (w, ts) => vllmErr(w, ts, 'serving_chat.py:182', [`Error in applying chat template from request: 'NoneType' object is not iterable`], NE),
];

/** The seed's rare error: one occurrence at a time, labelled `kind`. */
function rareOne(w: W, ts: number, kind = 'rare_error'): Row[] {
  const { r } = w;
  if (w.seed % 3 === 0) {
    const x = r.pick(w.replicas.slice(0, 2));
    return [w.row(ts, STREAMS.gateway, w.gw(ts, 'error', 'upstream stream interrupted', { request_id: `req_${r.hex(20)}`, tenant: w.tenant().name, model: w.llamaAt(ts), upstream: podOf(x, ts), bytes_sent: r.int(200, 40_000), error: 'unexpected EOF' }), undefined, kind)];
  }
  if (w.seed % 3 === 1) {
    return [audit(w, ts, { api: 'PutObject', bucket: 'batch-outputs', object: `job-${r.hex(8)}/part-${String(r.int(0, 999)).padStart(5, '0')}.parquet`, code: 500, rx: r.int(1, 64) * 1_048_576, tx: 410, ms: w.around(30, 0.3), host: `10.42.3.${r.int(10, 250)}`, key: 'svc-batch', error: 'drive not found: /mnt/disk3 (erasure set 2)' }, kind)];
  }
  const node = r.pick(w.nodes.slice(1, 3)).name;
  return [w.row(ts, STREAMS.jobs, w.job(ts, 'error', 'gpu-scheduler', 'binding rejected', { job_id: `job-${r.hex(8)}`, node, error: 'Operation cannot be fulfilled on pods/binding: pod was already assigned to a node' }), undefined, kind)];
}

/** Replaces `x`'s event by `by`'s and labels it. */
const replace = (x: Row | undefined, by: (x: Row) => Row, kind: string): void => { if (x !== undefined) { x.ev = by(x).ev; x.kind = kind; } };

function unusualValue(w: W, rows: Row[], ts: number, which: number): void {
  const UV = 'unusual_value';
  const { r } = w;
  if (which === 0) request(w, rows, ts, (q) => { q.status = 200; q.ms = w.around(35 * (1 + q.prompt / 512), 0.15) * 30; }, { gateway: UV }, MODELS[2]);
  else if (which === 1) {
    const x = rowNear(w, rows, STREAMS.gpu, ts, (l) => l.includes('gpu-monitor[') && /util=[1-6]?\d%/.test(l));
    if (x !== undefined) { x.ev = { ...x.ev, data: String(x.ev.data).replace(/temp=\d+C/, `temp=${r.int(94, 99)}C`) }; x.kind = UV; }
  } else if (which === 2) replace(rowNear(w, rows, STREAMS.trainer, ts, (l) => l.includes(' - train - INFO - step ')), (x) => stepLine(w, x.ts, Number(/step (\d+)\//.exec(String(x.ev.data))?.[1]), 25), UV);
  else if (which === 3) {
    replace(rowNear(w, rows, STREAMS.vllm, ts, (l) => l.includes('Avg prompt throughput')), (x) => metricsLine(w, x.ts, w.replicas.find((y) => podOf(y, x.ts) === x.ev.metadata?.pod) ?? w.replicas[2], r.int(150, 300)), UV);
  } else replace(rowNear(w, rows, STREAMS.minio, ts, (l) => l.includes('"bucket":"datasets","object":"pretrain-mix')), (x) => shardRead(w, x.ts, 30), UV);
}

function unseenCategory(w: W, rows: Row[], ts: number, which: number): void {
  const UC = 'unseen_category';
  const { r } = w;
  if (which === 0) request(w, rows, ts, (q) => { q.name = r.pick(NEW_MODELS); q.status = 200; }, { gateway: UC }, MODELS[1]);
  else if (which === 1) request(w, rows, ts, (q) => { q.tenant = r.pick(NEW_TENANTS); q.status = 200; }, { gateway: UC });
  else if (which === 2) job(w, rows, ts, r.pick(NEW_QUEUES), UC);
  else rows.push(audit(w, ts, { api: 'GetObject', bucket: 'ckpt-train', object: `${w.run.id}/${ckptName(w.run.step0 - (w.run.step0 % 1000))}/__${r.int(0, 15)}_0.distcp`, code: 200, rx: 0, tx: r.int(2500, 4000) * 1_048_576, ms: w.around(9000, 0.3), host: `10.42.${r.int(1, 6)}.${r.int(10, 250)}`, key: r.pick(NEW_KEYS) }, UC));
}

function retryStorm(w: W, rows: Row[], ts: number, which: number, span: number): void {
  const RS = 'retry_storm';
  const { r } = w;
  const n = r.int(40, 90);
  const x = r.pick(w.replicas), model = x.model === 'llama' ? w.llamaAt(ts) : MODELS[1].name;
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n) + r.int(0, 40);
    rows.push(which === 0 ? retryLine(w, t, model, podOf(x, t), RS) : which === 1 ? slowDown(w, t, RS) : unschedulable(w, t, undefined, RS));
  }
}

/** A GPU fallen off the bus at ts: the kernel's lines, its next 3 samples failing, none after, the node's condition. */
function gpuXid(w: W, rows: Row[], ts: number): void {
  const XID = 'gpu_xid';
  const { r } = w;
  const node = r.pick([w.nodes[1], w.nodes[2]]), gpu = r.int(2, 7), bus = node.bus[gpu];
  rows.push(kernel(w, ts, node.name, `NVRM: Xid (PCI:${bus.slice(0, 10)}): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.`, XID));
  rows.push(kernel(w, ts + 1, node.name, `NVRM: GPU ${bus}: GPU has fallen off the bus.`, XID));
  rows.push(kernel(w, ts + 2, node.name, `NVRM: GPU ${bus}: GPU serial number is 13${r.int(10, 99)}2${r.int(1_000_000, 9_999_999)}.`, XID));
  rows.push(kernel(w, ts + 3, node.name, 'NVRM: A GPU crash dump has been created. If possible, please run nvidia-bug-report.sh as root to collect this data before the NVIDIA kernel module is unloaded.', XID));
  const mine = (x: Row): boolean => x.ev.stream === STREAMS.gpu && x.kind === undefined && x.ts > ts && String(x.ev.data).includes(`${node.name} gpu-monitor[`) && String(x.ev.data).includes(` gpu=${gpu} bus=`);
  const after = rows.filter(mine).sort((a, b) => a.ts - b.ts);
  after.slice(0, 3).forEach((x) => { x.ev = { ...x.ev, data: w.syslog(x.ts, node.name, `gpu-monitor[${node.pid}]`, `gpu=${gpu} bus=${bus} ERROR: Unable to determine the device handle for GPU ${bus}: Unknown Error`) }; x.kind = XID; });
  const gone = new Set(after.slice(3));
  const keep = rows.filter((x) => !gone.has(x));
  rows.length = 0;
  rows.push(...keep);
  const at = ts + r.int(8000, 20_000);
  rows.push(w.row(at, STREAMS.jobs, w.job(at, 'warn', 'gpu-scheduler', 'node condition changed', { node: node.name, condition: 'GPUUnhealthy', status: 'True', gpus_healthy: 7, gpus_total: 8 }), undefined, XID));
}

/** The loss spiking and then NaN over `span` ms from ts: every step line in it rewritten and labelled. */
function nanLoss(w: W, rows: Row[], ts: number, span: number): void {
  const NAN = 'nan_loss';
  const steps = rows.filter((x) => x.ev.stream === STREAMS.trainer && x.kind === undefined && x.ts >= ts && x.ts < ts + span && String(x.ev.data).includes(' - train - INFO - step ')).sort((a, b) => a.ts - b.ts);
  if (steps.length < 3) return;
  steps.forEach((x, i) => {
    const data = String(x.ev.data).replace(/grad_norm [\d.]+/, i < 2 ? `grad_norm ${(w.r.int(40, 900) + w.r.next()).toFixed(3)}` : 'grad_norm nan');
    x.ev = { ...x.ev, data: data.replace(/loss [\d.]+/, i < 2 ? `loss ${(4 + 6 * w.r.next()).toFixed(4)}` : 'loss nan') };
    x.kind = NAN;
  });
  const first = /step (\d+)\//.exec(String(steps[2].ev.data))?.[1] ?? '0', last = /step (\d+)\//.exec(String(steps[steps.length - 1].ev.data))?.[1] ?? '0';
  rows.push(w.row(steps[2].ts + 1, STREAMS.trainer, w.python(steps[2].ts + 1, 'train', 'WARNING', `non-finite loss at step ${first} (loss=nan), skipping optimizer step`), undefined, NAN));
  const end = steps[steps.length - 1].ts + 2;
  rows.push(w.row(end, STREAMS.trainer, w.python(end, 'train', 'WARNING', `loss non-finite for ${Number(last) - Number(first) + 10} steps since step ${first}; loss scale reduced to 2^${w.r.int(4, 9)}`), undefined, NAN));
}

/** Every kind, at random times after the warm-up (labelled.ts plantIncidents). */
export function injectMlIncidents(w: W, rows: Row[]): void {
  plantIncidents(w, rows, {
    warmupMs: WARMUP_MS, rareOne, newErrors: NEW_ERRORS, retryStorm,
    unusualValue: { plant: unusualValue, variants: 5 }, unseenCategory: { plant: unseenCategory, variants: 4 },
    own: (c, out, at) => {
      gpuXid(c, out, at(400_000));
      const span = c.r.int(3, 6) * 60_000;
      nanLoss(c, out, at(span), span);
    },
    silenced: [STREAMS.vllm, STREAMS.minio],
  });
}
