// The `queue` generator's world and line makers (see queue.ts): one seeded source shared by every
// stream, so the order of calls is the seed's. Each format is written as its software writes it:
//   kafka   Kafka's server.log (log4j: [date,ms] LEVEL message (logger))
//   rabbit  RabbitMQ 3.12+ (date.micro+00:00 [level] <erlang pid> message)
//   celery  Celery's worker log ([date,ms: LEVEL/process] message)
//   json    the Go consumers' JSON lines (ts, level, logger, msg, fields)
//   logfmt  the scheduler (ts= level= caller= msg= fields)
//   golog   the dead-letter handler (Go's log package with microseconds: date time prefix: message)
import { runClock, seeded, type Random } from './random.js';

import { logRow, type LabelledRow, type RunWorld } from './labelled.js';

export type Row = LabelledRow;

export const STREAMS = {
  kafka: 'kafka/broker-2',
  rabbit: 'rabbitmq/mq-1',
  consumers: 'consumers/ingest',
  celery: 'celery/workers',
  scheduler: 'scheduler/cron',
  dlq: 'dlq/handler',
} as const;

/** A Kafka topic the ingest consumers read: its partitions, median handler ms and share of messages. */
export interface Topic { topic: string; partitions: number; ms: number; share: number }
export const TOPICS: Topic[] = [
  { topic: 'orders', partitions: 12, ms: 8, share: 0.28 },
  { topic: 'payments', partitions: 6, ms: 26, share: 0.14 },
  { topic: 'clickstream', partitions: 24, ms: 3, share: 0.36 },
  { topic: 'inventory', partitions: 6, ms: 14, share: 0.13 },
  { topic: 'search-index', partitions: 6, ms: 160, share: 0.09 },
];
/** Topics whose handler is fast: 30× their median stays below what search-index shows normally. */
export const FAST_TOPICS = TOPICS.filter((t) => t.ms <= 15);
export const REGIONS = ['eu-west-1', 'eu-central-1'];
export const NEW_REGIONS = ['us-east-1', 'ap-south-1', 'sa-east-1'];
export const NEW_TOPICS = ['refunds', 'payouts', 'fraud-signals'];

/** A Celery task: its queue, median seconds, share of tasks and how its result prints. */
export interface Task { name: string; queue: string; s: number; share: number; result: (r: Random) => string }
export const WEBHOOK_STATUSES = [200, 200, 200, 200, 202, 204];
export const CRM_STATUSES = [200, 200, 200, 200, 200, 409, 429];
/** Statuses a webhook delivery never returns normally (409 and 429 are the CRM sync's own). */
export const ODD_WEBHOOK_STATUSES = [409, 429, 500, 401];
export const TASKS: Task[] = [
  { name: 'tasks.send_email', queue: 'emails', s: 0.08, share: 0.38, result: () => 'None' },
  { name: 'tasks.render_invoice', queue: 'invoices', s: 1.4, share: 0.12, result: (r) => `'s3://acme-invoices/2026/INV-${r.int(100_000, 999_999)}.pdf'` },
  { name: 'tasks.resize_image', queue: 'thumbnails', s: 0.6, share: 0.2, result: (r) => `{'variants': ${r.pick([3, 4, 4, 5])}, 'bytes': ${r.int(20_000, 900_000)}}` },
  { name: 'tasks.deliver_webhook', queue: 'webhooks', s: 0.3, share: 0.22, result: (r) => webhookResult(r, r.pick(WEBHOOK_STATUSES)) },
  { name: 'tasks.sync_crm', queue: 'crm', s: 2.6, share: 0.08, result: (r) => `{'status': ${r.pick(CRM_STATUSES)}, 'contact': 'c_${r.hex(10)}'}` },
];
export const webhookResult = (r: Random, status: number): string => `{'status': ${status}, 'endpoint': 'partner-${r.int(1, 60)}'}`;
/** Fast tasks: 30× their median is about what sync_crm takes normally. */
export const FAST_TASKS = TASKS.filter((t) => t.s <= 0.1);

/** The broker's queues with their usual depth (ready messages) at the mean rate. */
export const QUEUES = [
  { name: 'emails', depth: 20 },
  { name: 'invoices', depth: 45 },
  { name: 'thumbnails', depth: 3000 },
  { name: 'webhooks', depth: 12 },
  { name: 'crm', depth: 150 },
];
export const SMALL_QUEUES = QUEUES.filter((x) => x.depth <= 50);
export const NEW_QUEUES = ['payouts', 'sms-otp', 'exports-eu'];
export const VHOSTS = ['jobs', 'events'];
export const NEW_VHOSTS = ['/', 'staging', 'legacy'];

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const micro = (ts: number): string => pad(Math.floor((ts * 7919) % 1000), 3);
const iso = (ts: number): string => new Date(ts).toISOString();
const spaced = (ts: number): string => iso(ts).slice(0, 19).replace('T', ' ');

/** The run: its clock and rate, the consumer group's and the Celery fleet's members over time, the line formats. */
export interface Q extends RunWorld {
  /** A benign newsletter surge: emails 4× for 8 minutes from here. */
  surgeAt: number;
  /** A partition's offset at a time (monotone up to a small jitter). */
  offset: (topic: Topic, partition: number, ts: number) => number;
  /** Consumer pods joining (and leaving) the ingest group: the first in the warm-up. */
  scale: { at: number; join: boolean; pod: string }[];
  members: (ts: number) => string[];
  regionOf: (pod: string) => string;
  /** Celery hosts joining the fleet: the first in the warm-up. */
  workerJoins: { at: number; host: string }[];
  workers: (ts: number) => string[];
  erl: () => string;
  kafka: (ts: number, level: string, msg: string, logger: string) => string;
  rabbit: (ts: number, level: string, pid: string, msg: string) => string;
  celery: (ts: number, level: string, proc: string, msg: string) => string;
  json: (ts: number, level: string, msg: string, fields: Record<string, string | number>) => string;
  logfmt: (ts: number, level: string, caller: string, msg: string, fields: Record<string, string | number>) => string;
  golog: (ts: number, msg: string) => string;
}

function fleet(r: Random, t0: number, end: number): Pick<Q, 'scale' | 'members' | 'regionOf' | 'workerJoins' | 'workers'> {
  const rs = r.hex(10).replace(/[0-9]/g, (c) => 'bcdfghjklm'[Number(c)]);
  const podName = (): string => `ingest-${rs}-${r.hex(5).replace(/[0-9]/g, (c) => 'npqrstvwxz'[Number(c)])}`;
  const first = [0, 1, 2, 3].map(podName);
  const region = new Map<string, string>(first.map((p, i) => [p, REGIONS[i % 2]]));
  const scale: Q['scale'] = [];
  let live = [...first];
  const joinAt = t0 + r.int(8, 18) * 60_000;
  const later = Array.from({ length: r.int(2, 4) }, () => t0 + 1_800_000 + Math.floor(r.next() * (end - t0 - 1_900_000))).sort((a, b) => a - b);
  for (const [k, at] of [joinAt, ...later].entries()) {
    const join = k === 0 || live.length <= 3 || r.chance(0.5);
    const pod = join ? podName() : r.pick(live);
    if (join) region.set(pod, r.pick(REGIONS));
    live = join ? [...live, pod] : live.filter((p) => p !== pod);
    scale.push({ at, join, pod });
  }
  const workerJoins = [{ at: t0 + r.int(5, 20) * 60_000, host: 'worker-5' }];
  for (let k = r.int(0, 2), n = 6; k > 0; k--, n++) workerJoins.push({ at: t0 + 1_800_000 + Math.floor(r.next() * (end - t0 - 1_900_000)), host: `worker-${n}` });
  return {
    scale,
    members: (ts) => {
      let m = [...first];
      for (const e of scale) if (e.at <= ts) m = e.join ? [...m, e.pod] : m.filter((p) => p !== e.pod);
      return m;
    },
    regionOf: (pod) => region.get(pod) ?? REGIONS[0],
    workerJoins,
    workers: (ts) => ['worker-1', 'worker-2', 'worker-3', 'worker-4', ...workerJoins.filter((w) => w.at <= ts).map((w) => w.host)],
  };
}

export function world(seed: number, minutes: number): Q {
  const r = seeded(seed * 65_537 + 19);
  const t0 = Date.UTC(2026, 1, 2, 5, 0, 0) + (seed % 500) * 86_400_000 + r.int(0, 120) * 60_000;
  const end = t0 + minutes * 60_000;
  const surgeAt = t0 + Math.round((0.2 + 0.6 * r.next()) * (end - t0));
  const rate = (t: number): number => 0.6 + 0.8 * Math.sin((Math.PI * (t - t0)) / (end - t0));
  const base = new Map<string, number>();
  const offset = (topic: Topic, p: number, ts: number): number => {
    const key = `${topic.topic}-${p}`;
    if (!base.has(key)) base.set(key, r.int(1_000_000, 90_000_000));
    return (base.get(key) ?? 0) + Math.floor(((ts - t0) * topic.share) / 4) + r.int(0, 9);
  };
  return {
    r, seed, t0, end, surgeAt, rate, offset,
    ...fleet(r, t0, end),
    ...runClock(r, t0, end, rate, 1.5),
    row: logRow,
    erl: () => `<0.${r.int(300, 48_000)}.0>`,
    kafka: (ts, level, msg, logger) => `[${spaced(ts)},${pad(new Date(ts).getUTCMilliseconds(), 3)}] ${level} ${msg} (${logger})`,
    rabbit: (ts, level, pid, msg) => `${iso(ts).slice(0, 23).replace('T', ' ')}${micro(ts)}+00:00 [${level}] ${pid} ${msg}`,
    celery: (ts, level, proc, msg) => `[${spaced(ts)},${pad(new Date(ts).getUTCMilliseconds(), 3)}: ${level}/${proc}] ${msg}`,
    json: (ts, level, msg, fields) => JSON.stringify({ ts: iso(ts), level, logger: 'ingest.consumer', msg, ...fields }),
    logfmt: (ts, level, caller, msg, fields) => `ts=${iso(ts)} level=${level} caller=${caller} msg="${msg}"${Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`).join('')}`,
    golog: (ts, msg) => `${iso(ts).slice(0, 19).replace(/-/g, '/').replace('T', ' ')}.${pad(new Date(ts).getUTCMilliseconds(), 3)}${micro(ts)} ${msg}`,
  };
}
