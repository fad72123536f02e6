// The `batch` generator's world (batch.ts): its clock and rate, and one line maker per format:
// Airflow scheduler, Kafka broker (log4j), Spark driver (log4j 1 short form), a systemd journal
// (short-iso), a GitLab runner in syslog, and an nginx-fronted object store's JSON access log.
import type { GeneratedEvent } from './index.js';
import { gauss } from './k8s.js';
import { seeded, type Random } from './random.js';

export interface Row { ts: number; ev: GeneratedEvent; kind?: string }

/** Who calls the object store: its client IPs, user agent, access key and region. */
export interface S3Agent { ips: string[]; ua: string; key: string; region: string }

/** One object-store access record (keys in the order nginx's log_format writes them). */
export interface S3Rec {
  agent: S3Agent;
  method: string;
  bucket: string;
  key: string;
  query: string;
  status: number;
  error: string;
  bytes: number;
  ms: number;
  region?: string;
}

export interface Batch {
  r: Random;
  seed: number;
  t0: number;
  end: number;
  /** A log-normal draw around `median`. */
  around: (median: number, spread?: number) => number;
  /** Arrival times of a Poisson process at the run's rate shape, `perSecond` on average. */
  arrivals: (perSecond: number) => number[];
  row: (ts: number, stream: string, data: string, kind?: string) => Row;
  uuid: () => string;
  ip: () => string;
  airflow: (ts: number, where: string, level: string, msg: string) => string;
  kafka: (ts: number, level: string, msg: string, cls: string) => string;
  spark: (ts: number, level: string, cls: string, msg: string) => string;
  journal: (ts: number, proc: string, msg: string) => string;
  runner: (ts: number, msg: string, fields: Record<string, string | number>) => string;
  s3: (ts: number, rec: S3Rec) => string;
}

export const STREAMS = {
  store: 'store/s3-gateway',
  airflow: 'sched/airflow',
  kafka: 'kafka/broker-2',
  spark: 'spark/ingest-driver',
  journal: 'host/etl-worker-3',
  ci: 'ci/runner-07',
} as const;

const p2 = (n: number): string => String(n).padStart(2, '0');
const p3 = (n: number): string => String(n).padStart(3, '0');
/** 2026-01-05 07:12:03 (UTC). */
export const isoSec = (ts: number): string => new Date(ts).toISOString().slice(0, 19).replace('T', ' ');
/** Airflow's own stamp: 2026-01-05T07:12:03.123+0000. */
export const afTime = (ts: number): string => `${new Date(ts).toISOString().slice(0, 23)}+0000`;

export function world(seed: number, minutes: number): Batch {
  const r = seeded(seed * 7_919 + 4_242);
  const t0 = Date.UTC(2026, 0, 5, 1, 0, 0) + (seed % 600) * 86_400_000 + r.int(0, 180) * 60_000;
  const end = t0 + minutes * 60_000;
  // The nightly window fills up: 0.6× → 1.4× the mean, and one benign backfill (1.8×, 4 minutes).
  const backfillAt = t0 + Math.round((0.2 + 0.6 * r.next()) * (end - t0));
  const rate = (t: number): number => (0.6 + 0.8 * ((t - t0) / (end - t0))) * (t >= backfillAt && t < backfillAt + 240_000 ? 1.8 : 1);
  const B: Batch = {
    r, seed, t0, end,
    around: (median, spread = 0.35) => median * Math.exp(spread * gauss(r)),
    arrivals: (perSecond) => {
      const out: number[] = [];
      const top = perSecond * 2.6;
      for (let t = t0 + r.exp(1000 / top); t < end; t += r.exp(1000 / top)) if (r.next() * 2.6 < rate(t)) out.push(Math.round(t));
      return out;
    },
    row: (ts, stream, data, kind) => {
      const ev: GeneratedEvent = { timestamp: new Date(ts).toISOString(), stream, stream_type: 'logs', data };
      return kind === undefined ? { ts, ev } : { ts, ev, kind };
    },
    uuid: () => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`,
    ip: () => `10.20.${r.int(0, 7)}.${r.int(2, 250)}`,
    airflow: (ts, where, level, msg) => `[${afTime(ts)}] {${where}} ${level} - ${msg}`,
    kafka: (ts, level, msg, cls) => `[${isoSec(ts)},${p3(ts % 1000)}] ${level} ${msg} (${cls})`,
    spark: (ts, level, cls, msg) => {
      const d = new Date(ts);
      return `${p2(d.getUTCFullYear() % 100)}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${new Date(ts).toISOString().slice(11, 19)} ${level} ${cls}: ${msg}`;
    },
    journal: (ts, proc, msg) => `${new Date(ts).toISOString().slice(0, 23)}${p3((ts * 7919) % 1000)}+00:00 etl-worker-3 ${proc}: ${msg}`,
    runner: (ts, msg, fields) => {
      const d = new Date(ts);
      const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
      const kv = Object.keys(fields).sort().map((k) => `${k}=${fields[k]}`).join(' ');
      return `${month} ${p2(d.getUTCDate())} ${d.toISOString().slice(11, 19)} ci-runner-07 gitlab-runner[1187]: ${msg.padEnd(51)} ${kv}`;
    },
    s3: (ts, x) => JSON.stringify({
      time: new Date(ts).toISOString().replace('Z', '+00:00'),
      remote_addr: r.pick(x.agent.ips),
      method: x.method,
      bucket: x.bucket,
      key: x.key,
      query: x.query,
      status: x.status,
      s3_error: x.error,
      bytes_sent: x.bytes,
      request_length: x.method === 'PUT' ? x.bytes + r.int(300, 900) : r.int(180, 900),
      request_time: Number((Math.max(1, x.ms) / 1000).toFixed(3)),
      upstream_time: (Math.max(1, x.ms - r.int(0, 2)) / 1000).toFixed(3),
      access_key: x.agent.key,
      user_agent: x.agent.ua,
      region: x.region ?? x.agent.region,
      request_id: `${r.hex(16).toUpperCase()}`,
    }),
  };
  return B;
}
