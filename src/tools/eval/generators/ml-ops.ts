// The `ml` generator's scheduler and object store (see ml.ts):
//   scheduler/jobs   the GPU scheduler (JSON): jobs submitted, scheduled (after a wait, now and
//                    then unschedulable for lack of GPUs first) and finished (a few failed), the
//                    autoscaler's status every minute and its scale-up, the deployer's rollout,
//                    the nightly eval job at 00:30 UTC
//   storage/minio    MinIO's audit log: the data loader's shard reads, batch jobs' and notebooks'
//                    reads, writes, lookups (some 404) and listings, a SlowDown now and then, the
//                    checkpoints' multipart uploads, the rollout's weight reads, eval results
import { QUEUES, ROLLED_OUT, STREAMS, type Audit, type Row, type W } from './ml-lines.js';
import { byShare } from './random.js';

const MiB = 1_048_576;
export const jobId = (w: W): string => `job-${w.r.hex(8)}`;
const trainerHost = (w: W): string => w.r.pick(w.nodes.filter((n) => n.role === 'training')).ip;

/** An audit line (labelled `kind` if any). */
export const audit = (w: W, ts: number, a: Audit, kind?: string): Row => w.row(ts, STREAMS.minio, w.minio(ts, a), undefined, kind);

/** A write refused with SlowDown (a normal but infrequent line; a retry storm repeats it). */
export const slowDown = (w: W, ts: number, kind?: string): Row =>
  audit(w, ts, { api: 'PutObject', bucket: 'batch-outputs', object: `${jobId(w)}/part-${String(w.r.int(0, 999)).padStart(5, '0')}.parquet`, code: 503, rx: w.r.int(1, 64) * MiB, tx: 312, ms: w.around(40, 0.4), host: `10.42.3.${w.r.int(10, 250)}`, key: 'svc-batch', error: 'Resource requested is unwritable, please reduce your request rate' }, kind);

/** A data loader's shard read (`slow`: that many times its usual time). */
export const shardRead = (w: W, ts: number, slow = 1, kind?: string): Row =>
  audit(w, ts, { api: 'GetObject', bucket: 'datasets', object: `pretrain-mix-v4/shard-${String(w.r.int(0, 99_999)).padStart(6, '0')}.tar`, code: 200, rx: 0, tx: Math.round(w.around(256, 0.03) * MiB), ms: w.around(900, 0.25) * slow, host: trainerHost(w), key: 'svc-trainer' }, kind);

/** A checkpoint's uploads: a multipart upload per rank's shard and the metadata, within `took` ms. */
export function checkpointObjects(w: W, ts: number, took: number, name: string): Row[] {
  const { r } = w;
  const out: Row[] = [];
  const base = `${w.run.id}/${name}`;
  for (let rank = 0; rank < 16; rank++) {
    const object = `${base}/__${rank}_0.distcp`, host = w.nodes[3 + (rank >> 3)].ip;
    out.push(audit(w, ts + r.int(0, 2000), { api: 'NewMultipartUpload', bucket: 'ckpt-train', object, code: 200, rx: 0, tx: 480, ms: w.around(8, 0.3), host, key: 'svc-trainer' }));
    out.push(audit(w, ts + took - r.int(2000, 9000), { api: 'CompleteMultipartUpload', bucket: 'ckpt-train', object, code: 200, rx: r.int(2500, 4000), tx: 520, ms: w.around(300, 0.3), host, key: 'svc-trainer' }));
  }
  out.push(audit(w, ts + took - 1000, { api: 'PutObject', bucket: 'ckpt-train', object: `${base}/.metadata`, code: 200, rx: r.int(900_000, 1_100_000), tx: 0, ms: w.around(60, 0.3), host: w.nodes[3].ip, key: 'svc-trainer' }));
  return out;
}

/** A batch job's or a notebook's request to the store. */
function userRequest(w: W, ts: number): Row {
  const { r } = w;
  const host = `10.42.${r.pick([2, 3, 6])}.${r.int(10, 250)}`, key = r.chance(0.6) ? 'svc-batch' : 'svc-notebooks';
  const v = r.next();
  if (v < 0.4) return audit(w, ts, { api: 'GetObject', bucket: 'batch-inputs', object: `${r.pick(['tickets', 'docs', 'transcripts', 'catalog'])}/${r.hex(12)}.jsonl`, code: 200, rx: 0, tx: r.int(1, 400) * 65_536, ms: w.around(120, 0.5), host, key });
  if (v < 0.7) return audit(w, ts, { api: 'PutObject', bucket: 'batch-outputs', object: `${jobId(w)}/part-${String(r.int(0, 999)).padStart(5, '0')}.parquet`, code: 200, rx: r.int(1, 64) * MiB, tx: 0, ms: w.around(350, 0.5), host, key });
  if (v < 0.9) return audit(w, ts, { api: 'HeadObject', bucket: 'experiments', object: `${r.hex(6)}/results.json`, code: r.chance(0.3) ? 404 : 200, rx: 0, tx: 0, ms: w.around(4, 0.4), host, key });
  return audit(w, ts, { api: 'ListObjectsV2', bucket: 'experiments', object: '', code: 200, rx: 0, tx: r.int(2, 90) * 1024, ms: w.around(25, 0.5), host, key });
}

/** The store's own traffic over the run (checkpoints are written by the trainer). */
export function store(w: W, rows: Row[]): void {
  const { r } = w;
  for (let ts = w.t0 + r.int(0, 5000); ts < w.end; ts += Math.round(w.around(6000, 0.3))) rows.push(shardRead(w, ts));
  for (const ts of w.arrivals(0.08)) rows.push(userRequest(w, ts));
  for (const ts of w.arrivals(1 / 1500)) rows.push(slowDown(w, ts));
  for (const x of w.replicas.filter((y) => y.restart < w.end)) {
    for (let i = 1; i <= 30; i++) {
      const object = `${ROLLED_OUT}/model-${String(i).padStart(5, '0')}-of-00030.safetensors`;
      rows.push(audit(w, x.restart + 4000 + i * r.int(1500, 2500), { api: 'GetObject', bucket: 'models', object, code: 200, rx: 0, tx: Math.round(w.around(4700, 0.02) * MiB), ms: w.around(2400, 0.2), host: x.ip, key: 'svc-inference' }));
    }
  }
}

/** One job's lines: submitted (labelled `kind` if any), maybe unschedulable first, scheduled, finished. */
export function job(w: W, rows: Row[], ts: number, queue: string = byShare(w.r, QUEUES).name, kind?: string): void {
  const { r } = w;
  const q = QUEUES.find((x) => x.name === queue);
  const id = jobId(w), gpus = q === undefined ? 8 : r.pick(q.gpus), owner = `u_${r.hex(8)}`;
  const node = r.pick(w.nodes.filter((n) => n.role === 'inference' && n.from <= ts && n.name !== w.replicas[0].node));
  const line = (at: number, level: string, msg: string, fields: Record<string, string | number>, k?: string): void => { rows.push(w.row(at, STREAMS.jobs, w.job(at, level, 'gpu-scheduler', msg, { job_id: id, ...fields }), undefined, k)); };
  line(ts, 'info', 'job submitted', { queue, owner, gpus, priority: r.pick(['normal', 'normal', 'low', 'high']) }, kind);
  let at = ts + r.int(300, 8000);
  if (r.chance(0.05)) { rows.push(unschedulable(w, at, id)); at += r.int(30, 240) * 1000; }
  line(at, 'info', 'job scheduled', { node: node.name, gpus, wait_s: Math.round((at - ts) / 1000) });
  const took = Math.round(w.around((q?.minutes ?? 30) * 60_000, 0.5));
  const failed = r.chance(0.04);
  line(at + took, failed ? 'warn' : 'info', failed ? 'job failed' : 'job succeeded', { exit_code: failed ? 1 : 0, duration_s: Math.round(took / 1000) });
}

/** A job left unschedulable for lack of GPUs (the normal warning; a retry storm repeats it). */
export const unschedulable = (w: W, ts: number, id = jobId(w), kind?: string): Row =>
  w.row(ts, STREAMS.jobs, w.job(ts, 'warn', 'gpu-scheduler', 'job unschedulable', { job_id: id, reason: `0/${w.nodes.filter((n) => n.from <= ts).length} nodes are available: insufficient nvidia.com/gpu`, retry_in_s: 30 }), undefined, kind);

function fixedEvents(w: W, rows: Row[]): void {
  const { r } = w;
  const say = (at: number, logger: string, msg: string, fields: Record<string, string | number>): void => { rows.push(w.row(at, STREAMS.jobs, w.job(at, 'info', logger, msg, fields))); };
  const added = w.nodes[w.nodes.length - 1];
  say(w.scaleAt, 'autoscaler', 'scale up', { node_group: 'a100-inference', from: w.nodes.length - 1, to: w.nodes.length, reason: `${r.int(2, 5)} pending pods need nvidia.com/gpu` });
  say(added.from - r.int(20_000, 35_000), 'autoscaler', 'node registered', { node: added.name, instance_type: 'p4d.24xlarge' });
  say(added.from, 'autoscaler', 'node ready', { node: added.name, gpus: 8 });
  const rollout = { deployment: 'vllm-llama70b', model: ROLLED_OUT, image: 'vllm/vllm-openai:v0.6.3.post1' };
  say(w.rollout.at - r.int(2000, 9000), 'deployer', 'rollout started', { ...rollout, strategy: 'canary', weight: 10 });
  say(w.rollout.full - r.int(2000, 9000), 'deployer', 'rollout promoted', { ...rollout, weight: 100 });
  say(w.rollout.full + r.int(200, 260) * 1000, 'deployer', 'rollout complete', { ...rollout, replicas: 2 });
  const n = w.nightlyAt;
  say(n, 'cron', 'cron job triggered', { cron: 'nightly-eval', schedule: '30 0 * * *' });
  job(w, rows, n + r.int(200, 900), 'nightly-eval');
  const took = r.int(25, 40) * 60_000, date = new Date(n).toISOString().slice(0, 10);
  for (const [i, m] of [ROLLED_OUT, 'mistral-7b-instruct-v0.3', 'bge-large-en-v1.5'].entries()) {
    rows.push(audit(w, n + 60_000 + i * 5000, { api: 'GetObject', bucket: 'datasets', object: `evals/${['mmlu', 'support-qa-v3', 'retrieval-golden'][i]}.jsonl`, code: 200, rx: 0, tx: r.int(20, 90) * MiB, ms: w.around(600, 0.3), host: w.nodes[2].ip, key: 'svc-eval' }));
    rows.push(audit(w, n + took + i * 3000, { api: 'PutObject', bucket: 'eval-results', object: `nightly/${date}/${m}.json`, code: 200, rx: r.int(20, 200) * 1024, tx: 0, ms: w.around(30, 0.3), host: w.nodes[2].ip, key: 'svc-eval' }));
  }
}

/** The scheduler's jobs, status and fixed events over the run. */
export function scheduler(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(1 / 70)) job(w, rows, ts);
  for (let ts = w.t0 + r.int(0, 59_999); ts < w.end; ts += 60_000 + r.int(-100, 100)) {
    const live = w.nodes.filter((n) => n.from <= ts).length;
    rows.push(w.row(ts, STREAMS.jobs, w.job(ts, 'info', 'autoscaler', 'cluster status', { nodes: live, gpus_total: live * 8, gpus_allocated: live * 8 - r.int(0, 9), pending_pods: r.chance(0.9) ? 0 : r.int(1, 3) })));
  }
  fixedEvents(w, rows);
}
