// The `queue` generator's labelled incidents (see queue.ts), all after a 30-minute warm-up, none in
// the last minute, 5 s apart and outside the silenced stretch:
//   new_error        4 never-seen error templates in their stream's format (a Python traceback
//                    has every line labelled): Kafka NotEnoughReplicas, a RabbitMQ memory alarm,
//                    Celery unable to reach the broker, a KeyError traceback, a consumer's decode
//                    failure or unknown member, the scheduler losing its lease, a poison message
//   rare_error       one error template (by seed: a Celery soft time limit, a consumer's failed
//                    produce to its retry topic, a RabbitMQ channel error of two lines) recurring
//                    all run long: 3 lone lines anywhere and 6 lone lines after its burst
//   rare_burst       the same template's one burst (70-110 over 50-120 s) in the first half, a
//                    kind of its own so that the lone lines after it are counted apart (the
//                    burst's lines interleave with other streams', so it counts as many incidents)
//   unusual_value    5 known lines with an unusual value for their context: 30× a fast topic's
//                    handler ms (search-index is normally that slow), 30× send_email's run time
//                    (sync_crm normally takes that long), a webhook delivery returning 409/429
//                    (the CRM sync's normal statuses), 500 or 401, 30× a small queue's depth
//                    (thumbnails normally sits in the thousands), 30× a segment roll's ms
//   unseen_category  3 values never seen in a low-cardinality slot: a consumer region (in the
//                    line and its metadata), a topic, a RabbitMQ vhost, a cron job's queue
//   retry_storm      2 redelivery storms, bursts of a normal but infrequent line: webhook
//                    retries (40-90 in 3-8 s), payments' retryable errors (40-90 in 3-8 s),
//                    clients closing their connection unexpectedly (25-45 pairs in 3-8 s)
//   silence          one busy stream (celery on even seeds, consumers on odd) silent for 12-25
//                    minutes (its shipper stalled; the lines are lost): the stream's first line
//                    after the gap is labelled, the first line where the gap can be seen
import { depthLine, enqueueLine, JOBS, usualDepth } from './queue-jobs.js';
import { FAST_TASKS, FAST_TOPICS, NEW_QUEUES, NEW_REGIONS, NEW_TOPICS, NEW_VHOSTS, ODD_WEBHOOK_STATUSES, SMALL_QUEUES, STREAMS, TASKS, TOPICS, webhookResult, type Q, type Row } from './queue-lines.js';
import { plantIncidents } from './labelled.js';
import { processed, rabbitAuth, retryable, retryLine, rollLines, task, unexpectedClose, WARMUP_MS } from './queue.js';

type Maker = (q: Q, ts: number) => Row[];
const pod = (q: Q, ts: number): string => q.r.pick(q.members(ts));
const host = (q: Q, ts: number): { host: string } => ({ host: q.r.pick(q.workers(ts)) });
const NE = 'new_error';

const NEW_ERRORS: Maker[] = [
  (q, ts) => {
    const t = q.r.pick(TOPICS), p = q.r.int(0, t.partitions - 1);
    return [
      q.row(ts, STREAMS.kafka, q.kafka(ts, 'ERROR', `[ReplicaManager broker=2] Error processing append operation on partition ${t.topic}-${p}`, 'kafka.server.ReplicaManager'), undefined, NE),
      q.row(ts, STREAMS.kafka, `org.apache.kafka.common.errors.NotEnoughReplicasException: The size of the current ISR Set(2) is insufficient to satisfy the min.isr requirement of 2 for partition ${t.topic}-${p}`, undefined, NE),
    ];
  },
  (q, ts) => {
    const pid = q.erl();
    return [
      q.row(ts, STREAMS.rabbit, q.rabbit(ts, 'warning', pid, `memory resource limit alarm set on node 'rabbit@mq-1'.`), undefined, NE),
      q.row(ts, STREAMS.rabbit, q.rabbit(ts, 'warning', pid, 'Publishers will be blocked until this alarm clears'), undefined, NE),
    ];
  },
  (q, ts) => {
    const h = host(q, ts);
    return [
      q.row(ts, STREAMS.celery, q.celery(ts, 'ERROR', 'MainProcess', 'consumer: Cannot connect to amqp://celery:**@mq-1.internal:5672/jobs: [Errno 111] Connection refused.'), h, NE),
      q.row(ts, STREAMS.celery, 'Trying again in 2.00 seconds... (1/100)', h, NE),
    ];
  },
  (q, ts) => {
    const h = host(q, ts);
    return [
      q.celery(ts, 'ERROR', `ForkPoolWorker-${q.r.int(1, 8)}`, `Task tasks.render_invoice[${q.uuid()}] raised unexpected: KeyError('vat_rate')`),
      'Traceback (most recent call last):',
      '  File "/usr/local/lib/python3.12/site-packages/celery/app/trace.py", line 453, in trace_task',
      '    R = retval = fun(*args, **kwargs)',
      '  File "/app/billing/tasks.py", line 88, in render_invoice',
      '    rate = country["vat_rate"]',
      "KeyError: 'vat_rate'",
    ].map((l) => q.row(ts, STREAMS.celery, l, h, NE));
  },
  (q, ts) => {
    const m = pod(q, ts), t = q.r.pick(TOPICS), p = q.r.int(0, t.partitions - 1);
    return [q.row(ts, STREAMS.consumers, q.json(ts, 'error', 'failed to decode message, skipping', { group: 'ingest', member: m, topic: t.topic, partition: p, offset: q.offset(t, p, ts), error: 'proto: cannot parse invalid wire-format data' }), { region: q.regionOf(m), pod: m }, NE)];
  },
  (q, ts) => {
    const m = pod(q, ts);
    return [q.row(ts, STREAMS.consumers, q.json(ts, 'error', 'offset commit failed', { group: 'ingest', member: m, error: 'kafka server: The coordinator is not aware of this member (UNKNOWN_MEMBER_ID)' }), { region: q.regionOf(m), pod: m }, NE)];
  },
  (q, ts) => [q.row(ts, STREAMS.scheduler, q.logfmt(ts, 'error', 'scheduler/lease.go:97', 'lost leader lease', { holder: 'scheduler-1', err: 'etcdserver: request timed out' }), undefined, NE)],
  (q, ts) => [q.row(ts, STREAMS.dlq, q.golog(ts, `dlq-handler: poison message id=${q.uuid()} queue=invoices: schema validation failed: missing required field "currency"`), undefined, NE)],
];

/** The seed's rare error: one occurrence (one or two lines) at a time, labelled `RE`. */
function rareOne(q: Q, ts: number, RE = 'rare_error'): Row[] {
  const { r } = q;
  if (q.seed % 3 === 0) return [q.row(ts, STREAMS.celery, q.celery(ts, 'WARNING', 'MainProcess', `Soft time limit (300s) exceeded for tasks.sync_crm[${q.uuid()}]`), host(q, ts), RE)];
  if (q.seed % 3 === 1) {
    const m = pod(q, ts);
    return [q.row(ts, STREAMS.consumers, q.json(ts, 'error', 'produce to retry topic failed', { group: 'ingest', member: m, topic: 'orders.retry', key: `ord_${r.hex(12)}`, error: 'Local: Message timed out' }), { region: q.regionOf(m), pod: m }, RE)];
  }
  const pid = q.erl();
  const peer = `10.0.${r.int(2, 9)}.${r.int(2, 250)}:${r.int(32768, 60999)} -> 10.0.1.5:5672`;
  return [
    q.row(ts, STREAMS.rabbit, q.rabbit(ts, 'error', pid, `Channel error on connection ${q.erl()} (${peer}, vhost: 'jobs', user: 'celery'), channel 1:`), undefined, RE),
    q.row(ts, STREAMS.rabbit, q.rabbit(ts, 'error', pid, `operation basic.ack caused a channel exception precondition_failed: unknown delivery tag ${r.int(1, 5000)}`), undefined, RE),
  ];
}

function unusualValue(q: Q, rows: Row[], ts: number, which: number): void {
  const { r } = q;
  const UV = 'unusual_value';
  if (which === 0) { const t = r.pick(FAST_TOPICS); rows.push(processed(q, ts, pod(q, ts), t, q.around(t.ms, 0.15) * 30, undefined, UV)); }
  else if (which === 1) { const t = r.pick(FAST_TASKS); task(q, rows, ts, t, q.around(t.s, 0.15) * 30, undefined, UV); }
  else if (which === 2) task(q, rows, ts, TASKS[3], q.around(TASKS[3].s, 0.35), webhookResult(r, r.pick(ODD_WEBHOOK_STATUSES)), UV);
  else if (which === 3) { const d = r.pick(SMALL_QUEUES); rows.push(depthLine(q, ts, d.name, Math.round(usualDepth(q, d.name, ts) * 30 * (0.9 + 0.3 * r.next())), UV)); }
  else rows.push(...rollLines(q, ts, q.around(3, 0.15) * 30, UV));
}

function unseenCategory(q: Q, rows: Row[], ts: number, which: number): void {
  const { r } = q;
  const UC = 'unseen_category';
  if (which === 0) { const t = r.pick(TOPICS); rows.push(processed(q, ts, pod(q, ts), t, q.around(t.ms), r.pick(NEW_REGIONS), UC)); }
  else if (which === 1) rows.push(processed(q, ts, pod(q, ts), { topic: r.pick(NEW_TOPICS), partitions: 6, share: 0.1 }, q.around(10), undefined, UC));
  else if (which === 2) rabbitAuth(q, rows, ts, r.pick(['webapp', 'celery']), r.pick(NEW_VHOSTS), UC);
  else { const j = r.pick(JOBS); rows.push(enqueueLine(q, ts, j.job, r.pick(NEW_QUEUES), j.every, UC)); }
}

function retryStorm(q: Q, rows: Row[], ts: number, which: number, span: number): void {
  const { r } = q;
  const RS = 'retry_storm';
  const n = which === 2 ? r.int(25, 45) : r.int(40, 90);
  const m = pod(q, ts);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n) + r.int(0, 40);
    if (which === 0) rows.push(retryLine(q, t, RS));
    else if (which === 1) rows.push(retryable(q, t, m, RS));
    else rows.push(...unexpectedClose(q, t, RS));
  }
}

/** Every kind, at random times after the warm-up (labelled.ts plantIncidents). */
export function injectQueueIncidents(q: Q, rows: Row[]): void {
  plantIncidents(q, rows, {
    warmupMs: WARMUP_MS, rareOne, newErrors: NEW_ERRORS, retryStorm,
    unusualValue: { plant: unusualValue, variants: 5 }, unseenCategory: { plant: unseenCategory, variants: 4 },
    silenced: [STREAMS.celery, STREAMS.consumers],
  });
}
