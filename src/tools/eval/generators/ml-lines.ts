// The `ml` generator's world and line formats (see ml.ts): one seeded source shared by every
// stream, so the order of calls is the seed's. The tenants, GPU nodes, model replicas, training
// run and the run's fixed events (a model rollout, a node added by the autoscaler, the nightly
// eval job) are drawn first, so that every stream tells the same story. Formats:
//   gateway   the model API gateway (Go, logfmt: time= level= msg="..." key=value ...)
//   vllm      the inference server (vLLM: LEVEL MM-DD HH:MM:SS [file.py:line] message), with
//             uvicorn's access lines (INFO:     ip:port - "POST ..." 200 OK)
//   python    the training loop (Python logging: date time,ms - name - LEVEL - message)
//   syslog    the GPU nodes (RFC 3164: Mon dd hh:mm:ss host tag[pid]: message), a GPU monitor's
//             samples and the kernel's NVRM lines
//   job       the GPU job scheduler and autoscaler (JSON, one object a line)
//   minio     the object store's audit log (MinIO audit JSON, an object a request)
import { logRow, type LabelledRow, type RunWorld } from './labelled.js';
import { runClock, seeded, type Random } from './random.js';

export type Row = LabelledRow;

/** No incident in the first 30 minutes of event time. */
export const WARMUP_MS = 1_800_000;

export const STREAMS = {
  gateway: 'gateway/models',
  vllm: 'inference/vllm',
  trainer: 'training/trainer',
  gpu: 'gpu/nodes',
  jobs: 'scheduler/jobs',
  minio: 'storage/minio',
} as const;

/** A served model: its gateway route, share of requests, time to first token (ms), tokens/s per stream, usual completion. */
export interface Model { key: string; name: string; route: string; share: number; ttft: number; tps: number; out: number }
export const MODELS: Model[] = [
  { key: 'llama', name: 'llama-3.1-70b-instruct', route: '/v1/chat/completions', share: 0.5, ttft: 280, tps: 38, out: 220 },
  { key: 'mistral', name: 'mistral-7b-instruct-v0.3', route: '/v1/chat/completions', share: 0.25, ttft: 90, tps: 95, out: 160 },
  { key: 'embed', name: 'bge-large-en-v1.5', route: '/v1/embeddings', share: 0.25, ttft: 0, tps: 0, out: 0 },
];
/** The model the rollout brings in place of the first one (announced: a benign new name). */
export const ROLLED_OUT = 'llama-3.3-70b-instruct';
/** Model names never deployed nor announced, tenants and queues never seen, keys never issued. */
export const NEW_MODELS = ['qwen2.5-72b-instruct', 'mixtral-8x22b-instruct-v0.1', 'gemma-2-27b-it'];
export const NEW_TENANTS = ['zorg-industries', 'ellingson-mineral', 'prestige-worldwide'];
export const NEW_QUEUES = ['research-unbounded', 'crypto-bench', 'adhoc-h100'];
export const NEW_KEYS = ['AKIA4EXTERNAL7Q2Z', 'minioadmin', 'svc-legacy-etl'];
const TENANT_NAMES = [
  'acme-support', 'globex-search', 'initech-docs', 'umbrella-hr', 'hooli-mail', 'stark-legal', 'wayne-finance', 'tyrell-research', 'cyberdyne-ops',
  'soylent-cx', 'wonka-marketing', 'vandelay-import', 'massive-dynamic', 'oscorp-lab', 'aperture-qa', 'blackmesa-sci', 'gringotts-bank', 'monarch-travel',
  'nakatomi-realty', 'pied-piper', 'dunder-sales', 'bluth-homes', 'sterling-ads', 'krusty-foods',
];
/** The scheduler's queues: share of jobs, GPUs asked, usual minutes. */
export const QUEUES = [
  { name: 'batch-inference', share: 0.4, gpus: [1, 2, 4], minutes: 14 },
  { name: 'fine-tune', share: 0.15, gpus: [4, 8], minutes: 45 },
  { name: 'notebooks', share: 0.3, gpus: [1], minutes: 25 },
  { name: 'embeddings-backfill', share: 0.15, gpus: [1, 2], minutes: 9 },
] as const;

export interface Tenant { name: string; share: number }
/** A GPU node: its name, role, address, GPUs' bus ids and when it joined. */
export interface GpuNode { name: string; role: 'inference' | 'training'; ip: string; bus: string[]; from: number; pid: number }
/** A vLLM replica: its pod, the model key it serves, its node's GPUs, and its pod after the rollout replaces it at `restart`. */
export interface Replica { pod: string; model: string; node: string; gpus: number[]; ip: string; next: string; restart: number }

export interface W extends RunWorld {
  tenants: Tenant[];
  tenant: () => Tenant;
  nodes: GpuNode[];
  replicas: Replica[];
  /** The llama route's rollout: the second replica restarted with the new model at `at` (canary traffic, 10 %, from 150 s later), the first at `full` (all traffic). */
  rollout: { at: number; full: number };
  /** The chat model name a llama-route request gets at ts. */
  llamaAt: (ts: number) => string;
  /** When the autoscaler adds a node (the last of `nodes`), and the nightly eval job's start (00:30 UTC). */
  scaleAt: number;
  nightlyAt: number;
  /** The training run: its id, first step at t0, ms a step, steps in all. */
  run: { id: string; step0: number; stepMs: number; total: number };
  deployment: string;
  gw: (ts: number, level: string, msg: string, fields: Record<string, string | number | boolean>) => string;
  vllm: (ts: number, level: string, at: string, msg: string) => string;
  python: (ts: number, name: string, level: string, msg: string) => string;
  syslog: (ts: number, host: string, tag: string, msg: string) => string;
  job: (ts: number, level: string, logger: string, msg: string, fields: Record<string, string | number | boolean>) => string;
  minio: (ts: number, a: Audit) => string;
}

/** One request in the object store's audit log. */
export interface Audit { api: string; bucket: string; object: string; code: number; rx: number; tx: number; ms: number; host: string; key: string; error?: string }

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const iso = (ts: number): string => new Date(ts).toISOString();
const clock = (d: Date): string => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
const quoted = (v: string | number | boolean): string => (typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v));
const STATUS_TEXT: Record<number, string> = { 200: 'OK', 204: 'NoContent', 206: 'PartialContent', 403: 'AccessDenied', 404: 'NoSuchKey', 500: 'InternalError', 503: 'SlowDown' };

const formats = (deployment: string): Pick<W, 'gw' | 'vllm' | 'python' | 'syslog' | 'job' | 'minio'> => ({
  gw: (ts, level, msg, fields) => `time=${iso(ts)} level=${level} msg=${JSON.stringify(msg)}${Object.entries(fields).map(([k, v]) => ` ${k}=${quoted(v)}`).join('')}`,
  vllm: (ts, level, at, msg) => { const d = new Date(ts); return `${level} ${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${clock(d)} [${at}] ${msg}`; },
  python: (ts, name, level, msg) => `${iso(ts).slice(0, 19).replace('T', ' ')},${pad(new Date(ts).getUTCMilliseconds(), 3)} - ${name} - ${level} - ${msg}`,
  syslog: (ts, host, tag, msg) => { const d = new Date(ts); return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${clock(d)} ${host} ${tag}: ${msg}`; },
  job: (ts, level, logger, msg, fields) => JSON.stringify({ ts: iso(ts), level, logger, msg, ...fields }),
  minio: (ts, a) => JSON.stringify({
    version: '1', deploymentid: deployment, time: iso(ts), event: '', trigger: 'incoming',
    api: { name: a.api, bucket: a.bucket, object: a.object, status: STATUS_TEXT[a.code] ?? 'Error', statusCode: a.code, rx: a.rx, tx: a.tx, timeToFirstByte: `${(a.ms * 0.08).toFixed(3)}ms`, timeToResponse: `${a.ms.toFixed(3)}ms` },
    remotehost: a.host, requestID: (ts * 4096 + (a.rx % 4096)).toString(16).toUpperCase().padStart(16, '0'), userAgent: 'MinIO (linux; amd64) minio-go/v7.0.70',
    requestPath: `/${a.bucket}/${a.object}`, requestHost: 'minio.storage.svc:9000', accessKey: a.key, ...(a.error === undefined ? {} : { error: a.error }),
  }),
});

function tenants(r: Random): Tenant[] {
  const names = [...TENANT_NAMES];
  return Array.from({ length: r.int(12, 18) }, (_, i) => ({ name: names.splice(r.int(0, names.length - 1), 1)[0], share: 1 / (i + 1.5) }));
}

function fleet(r: Random, t0: number, scaleAt: number, rollout: W['rollout']): { nodes: GpuNode[]; replicas: Replica[] } {
  const busOf = (): string[] => ['07', '0f', '47', '4e', '87', '90', 'b7', 'bd'].map((b) => `0000:${b}:00.0`);
  const node = (i: number, role: GpuNode['role'], from: number): GpuNode => ({ name: `gpu-a100-${pad(i)}`, role, ip: `10.42.${i}.${r.int(10, 250)}`, bus: busOf(), from, pid: r.int(900, 4000) });
  const nodes = [node(1, 'inference', t0 - 864e5), node(2, 'inference', t0 - 864e5), node(3, 'inference', t0 - 864e5), node(4, 'training', t0 - 864e5), node(5, 'training', t0 - 864e5), node(6, 'inference', scaleAt + r.int(150, 240) * 1000)];
  const hash = (): string => r.hex(10).replace(/[0-9]/g, (c) => 'bcdfghjklm'[Number(c)]);
  const llama = hash(), mistral = hash(), rolled = hash();
  const pod = (base: string, rs: string): string => `${base}-${rs}-${r.hex(5).replace(/[0-9]/g, (c) => 'npqrstvwxz'[Number(c)])}`;
  const ip = (): string => `10.244.${r.int(1, 9)}.${r.int(2, 250)}`;
  const replicas: Replica[] = [
    { pod: pod('vllm-llama70b', llama), model: 'llama', node: nodes[0].name, gpus: [0, 1, 2, 3], ip: ip(), next: pod('vllm-llama70b', rolled), restart: rollout.full },
    { pod: pod('vllm-llama70b', llama), model: 'llama', node: nodes[0].name, gpus: [4, 5, 6, 7], ip: ip(), next: pod('vllm-llama70b', rolled), restart: rollout.at },
    { pod: pod('vllm-mistral7b', mistral), model: 'mistral', node: nodes[1].name, gpus: [0, 1], ip: ip(), next: '', restart: Infinity },
  ];
  return { nodes, replicas };
}

export function world(seed: number, minutes: number): W {
  const r = seeded(seed * 69_621 + 7);
  const day = Date.UTC(2026, 0, 5) + (seed % 300) * 86_400_000;
  const t0 = day + 21.5 * 3_600_000 + r.int(0, 90) * 60_000;
  const end = t0 + minutes * 60_000;
  // the daily load curve: a peak at 19:00 UTC, the trough at 07:00; the run goes from the evening into the night
  const rate = (t: number): number => 0.3 + 1.2 * (1 + Math.cos((2 * Math.PI * ((t / 3_600_000) % 24 - 19)) / 24)) / 2;
  const ts = tenants(r);
  const total = ts.reduce((a, x) => a + x.share, 0);
  const at = t0 + Math.round((0.3 + 0.3 * r.next()) * (end - t0));
  const rollout = { at, full: at + r.int(12, 20) * 60_000 };
  const scaleAt = t0 + Math.round((0.2 + 0.5 * r.next()) * (end - t0));
  const deployment = `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-a${r.hex(3)}-${r.hex(12)}`;
  return {
    r, seed, t0, end, rate, row: logRow, tenants: ts, rollout, scaleAt, deployment,
    nightlyAt: day + 24.5 * 3_600_000 + r.int(0, 30_000),
    run: { id: `run-${r.hex(6)}`, step0: r.int(20, 90) * 1000 + r.int(0, 99) * 10, stepMs: 1150 + r.int(0, 250), total: 150_000 },
    ...runClock(r, t0, end, rate, 1.5),
    ...fleet(r, t0, scaleAt, rollout),
    ...formats(deployment),
    tenant: () => { let u = r.next() * total; for (const x of ts) { u -= x.share; if (u < 0) return x; } return ts[0]; },
    llamaAt: (t) => (t >= rollout.full || (t >= rollout.at + 150_000 && r.chance(0.1)) ? ROLLED_OUT : MODELS[0].name),
  };
}

/** A replica's pod at ts (its new pod once the rollout replaced it). */
export const podOf = (x: Replica, ts: number): string => (ts >= x.restart ? x.next : x.pod);

/**
 * The unlabelled row of `stream` matching `test` nearest before ts but not before the warm-up's
 * end (so never in a silenced stretch that starts after ts), else the first one after ts.
 */
export function rowNear(w: W, rows: Row[], stream: string, ts: number, test: (data: string) => boolean): Row | undefined {
  let before: Row | undefined, after: Row | undefined;
  for (const x of rows) {
    if (x.ev.stream !== stream || x.kind !== undefined || !test(String(x.ev.data))) continue;
    if (x.ts <= ts && x.ts >= w.t0 + WARMUP_MS && (before === undefined || x.ts > before.ts)) before = x;
    if (x.ts > ts && (after === undefined || x.ts < after.ts)) after = x;
  }
  return before ?? after;
}
