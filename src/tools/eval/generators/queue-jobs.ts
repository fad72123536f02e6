// The `queue` generator's two slow streams (see queue.ts):
//   scheduler/cron  logfmt: every queue's depth every 30 s (a mean-reverting walk around its usual
//                   depth × the traffic, emails 4× in the newsletter surge), cron jobs enqueued
//                   and finished on wall-clock minutes, the leader lease renewed every minute
//   dlq/handler     Go log: dead letters from webhooks and crm parked for 72 h, a sweep every
//                   5 minutes with the count parked, one operator replay after the warm-up
import { gauss } from './k8s.js';
import { QUEUES, STREAMS, type Q, type Row } from './queue-lines.js';

/** Cron jobs: the queue they fill, every how many minutes, how many tasks. */
export const JOBS = [
  { job: 'send-digest', queue: 'emails', every: 10, tasks: [20, 120] },
  { job: 'invoice-batch', queue: 'invoices', every: 15, tasks: [5, 60] },
  { job: 'thumbnails-backfill', queue: 'thumbnails', every: 5, tasks: [100, 900] },
  { job: 'crm-sync', queue: 'crm', every: 30, tasks: [50, 400] },
  { job: 'partner-webhook-replay', queue: 'webhooks', every: 60, tasks: [0, 15] },
] as const;
const PUBLISH: Record<string, number> = { emails: 3.1, invoices: 0.4, thumbnails: 6.5, webhooks: 1.8, crm: 0.3 };

/** The usual depth of a queue at a time (its walk's centre). */
export const usualDepth = (q: Q, queue: string, ts: number): number => {
  const base = QUEUES.find((x) => x.name === queue)?.depth ?? 10;
  return base * q.rate(ts) * (queue === 'emails' && ts >= q.surgeAt && ts < q.surgeAt + 480_000 ? 4 : 1);
};

export function depthLine(q: Q, ts: number, queue: string, ready: number, kind?: string): Row {
  const { r } = q;
  const consumers = q.workers(ts).length;
  const pub = (PUBLISH[queue] ?? 1) * q.rate(ts) * q.around(1, 0.12);
  return q.row(ts, STREAMS.scheduler, q.logfmt(ts, 'info', 'scheduler/metrics.go:88', 'queue depth', {
    queue, ready, unacked: r.int(0, Math.min(ready, consumers * 4)), consumers, publish_rate: pub.toFixed(2), deliver_rate: (pub * q.around(1, 0.05)).toFixed(2),
  }), undefined, kind);
}

export function enqueueLine(q: Q, ts: number, job: string, queue: string, every: number, kind?: string): Row {
  const { r } = q;
  const t = JOBS.find((j) => j.job === job)?.tasks ?? [1, 50];
  return q.row(ts, STREAMS.scheduler, q.logfmt(ts, 'info', 'scheduler/cron.go:141', 'job enqueued', {
    job, run_id: `01J${r.hex(23).toUpperCase()}`, queue, tasks: r.int(t[0], t[1]), schedule: every === 60 ? '0 * * * *' : `*/${every} * * * *`,
  }), undefined, kind);
}

export function scheduler(q: Q, rows: Row[]): void {
  const { r } = q;
  const x = new Map(QUEUES.map((d) => [d.name, Math.log(usualDepth(q, d.name, q.t0))]));
  for (let tick = q.t0 + r.int(0, 29_999); tick < q.end; tick += 30_000) {
    for (const [i, d] of QUEUES.entries()) {
      const ts = tick + i * r.int(1, 6);
      const v = (x.get(d.name) ?? 0) + 0.15 * (Math.log(usualDepth(q, d.name, ts)) - (x.get(d.name) ?? 0)) + 0.2 * gauss(r);
      x.set(d.name, v);
      rows.push(depthLine(q, ts, d.name, Math.round(Math.exp(v)) + r.int(0, 2)));
    }
  }
  for (const j of JOBS) {
    const step = j.every * 60_000;
    for (let tick = Math.ceil(q.t0 / step) * step; tick < q.end; tick += step) {
      const ts = tick + r.int(5, 900);
      const line = enqueueLine(q, ts, j.job, j.queue, j.every);
      rows.push(line);
      const run = /run_id=(\S+)/.exec(String(line.ev.data))?.[1] ?? '';
      const tasks = Number(/tasks=(\d+)/.exec(String(line.ev.data))?.[1] ?? 0);
      const failed = r.chance(0.88) ? 0 : r.int(1, 3);
      const done = ts + Math.round(q.around(2000 + tasks * 40, 0.3));
      rows.push(q.row(done, STREAMS.scheduler, q.logfmt(done, 'info', 'scheduler/cron.go:188', 'job finished', { job: j.job, run_id: run, duration: `${((done - ts) / 1000).toFixed(1)}s`, ok: Math.max(0, tasks - failed), failed })));
    }
  }
  const term = r.int(3, 40);
  for (let ts = q.t0 + r.int(0, 59_999); ts < q.end; ts += 60_000 + r.int(-50, 50)) {
    rows.push(q.row(ts, STREAMS.scheduler, q.logfmt(ts, 'info', 'scheduler/lease.go:64', 'leader lease renewed', { holder: 'scheduler-0', term, ttl: '30s' })));
  }
}

export function dlq(q: Q, rows: Row[]): void {
  const { r } = q;
  const dead: number[] = [];
  const iso = (ts: number): string => new Date(ts).toISOString().slice(0, 19) + 'Z';
  for (const ts of q.arrivals(1 / 200)) {
    const id = q.uuid();
    const web = r.chance(0.75);
    const err = web ? `HTTP ${r.pick([502, 503, 504, 410])} from partner-${r.int(1, 60)}` : 'HTTP 429 rate limited by crm';
    rows.push(q.row(ts, STREAMS.dlq, q.golog(ts, `dlq-handler: dead letter id=${id} queue=${web ? 'webhooks' : 'crm'} reason=rejected attempts=${web ? 5 : 8} last_error="${err}"`)));
    const at = ts + r.int(5, 40);
    rows.push(q.row(at, STREAMS.dlq, q.golog(at, `dlq-handler: parked id=${id} until=${iso(ts + 259_200_000)} (retention 72h)`)));
    dead.push(ts);
  }
  const held = r.int(40, 400);
  for (let ts = q.t0 + r.int(0, 299_999); ts < q.end; ts += 300_000) {
    const parked = held + dead.filter((d) => d < ts).length;
    rows.push(q.row(ts, STREAMS.dlq, q.golog(ts, `dlq-handler: sweep done parked=${parked} expired=${r.chance(0.7) ? 0 : r.int(1, 6)} replayed=0 took=${Math.round(q.around(14))}ms`)));
  }
  const ts = q.t0 + 2_400_000 + Math.floor(r.next() * (q.end - q.t0 - 3_000_000));
  const n = r.int(5, 60);
  rows.push(q.row(ts, STREAMS.dlq, q.golog(ts, `dlq-handler: replay requested by ops-${r.pick(['mkovacs', 'jlee', 'apatel', 'sfischer'])} for queue=webhooks count=${n}`)));
  rows.push(q.row(ts + 800, STREAMS.dlq, q.golog(ts + 800, `dlq-handler: replayed ${n}/${n} messages to webhooks in ${r.int(300, 4000)}ms`)));
}
