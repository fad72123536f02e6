// Generator `queue`: a message broker and its worker fleet, written for issue 11's held-out log
// streams from the description alone (not from the detectors), to give a never-tuned figure.
//
//   seed ─► world() (queue-lines.ts) ─► 4-5.5 hours of event time from an early-morning start:
//   │       traffic 0.6× → 1.4× → 0.6× (half a sine), one benign newsletter surge (emails 4× for
//   │       8 minutes); six streams in six formats:
//   │         consumers/ingest  Go Kafka consumers (JSON lines), ~0.5/s: messages processed per
//   │                           topic (fresh offsets, keys, lags, handler ms: search-index is
//   │                           normally slow), duplicates skipped, payments' retryable errors,
//   │                           offset commits per member every minute; metadata {region, pod}
//   │         celery/workers    Celery task workers on RabbitMQ, ~0.45/s: received/succeeded
//   │                           pairs of five tasks, webhook deliveries' normal retries;
//   │                           metadata {host}
//   │         rabbitmq/mq-1     the broker: short-lived publisher connections, now and then a
//   │                           client that closed its TCP connection unexpectedly
//   │         kafka/broker-2    segment rolls, retention deletions, the group coordinator
//   │         scheduler/cron    logfmt: queue depths every 30 s (drifting with the traffic;
//   │                           thumbnails sits in the thousands, webhooks near ten), cron jobs
//   │                           enqueued and finished, its leader lease
//   │         dlq/handler       dead letters parked, sweeps every 5 minutes, one operator replay
//   │       benign novelty: fresh ids, offsets, keys, durations, depths on every normal line;
//   │       consumer pods join or leave the group (rebalance lines in two streams; the first in
//   │       the warm-up), Celery hosts join the fleet (startup lines, the first in the warm-up)
//   └─► incidents after a 30-minute warm-up (queue-incidents.ts), labelled new_error, rare_error
//       (lone lines) and rare_burst (its one burst), unusual_value, unseen_category, retry_storm
//       (a redelivery storm) and silence
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { injectQueueIncidents } from './queue-incidents.js';
import { dlq, scheduler } from './queue-jobs.js';
import { QUEUES, STREAMS, TASKS, TOPICS, VHOSTS, world, type Q, type Row, type Task, type Topic } from './queue-lines.js';

export const QUEUE_KINDS = ['new_error', 'rare_burst', 'rare_error', 'retry_storm', 'silence', 'unseen_category', 'unusual_value'] as const;
export const WARMUP_MS = 1_800_000;

const generation = (q: Q, k: number): number => 20 + (q.seed % 50) + k;
const weighted = <T extends { share: number }>(q: Q, xs: readonly T[]): T => {
  let u = q.r.next() * xs.reduce((a, x) => a + x.share, 0);
  for (const x of xs) { u -= x.share; if (u < 0) return x; }
  return xs[xs.length - 1];
};

/** A processed message on the consumer stream: the line and its metadata. */
export function processed(q: Q, ts: number, pod: string, topic: Pick<Topic, 'topic' | 'partitions' | 'share'>, ms: number, region = q.regionOf(pod), kind?: string): Row {
  const { r } = q;
  const p = r.int(0, topic.partitions - 1);
  const fields = { group: 'ingest', member: pod, topic: topic.topic, partition: p, offset: q.offset({ ...topic, ms: 0 }, p, ts), key: `${topic.topic.slice(0, 3)}_${r.hex(12)}`, duration_ms: Number(ms.toFixed(1)), lag: Math.round(r.int(0, 30) * q.rate(ts)), region };
  return q.row(ts, STREAMS.consumers, q.json(ts, 'info', 'message processed', fields), { region, pod }, kind);
}

export function retryable(q: Q, ts: number, pod: string, kind?: string): Row {
  const { r } = q;
  const topic = TOPICS[1];
  const p = r.int(0, topic.partitions - 1);
  return q.row(ts, STREAMS.consumers, q.json(ts, 'warn', 'handler returned retryable error, backing off', {
    group: 'ingest', member: pod, topic: topic.topic, partition: p, offset: q.offset(topic, p, ts), attempt: r.int(2, 4), backoff_ms: r.pick([200, 400, 800]), error: r.pick(['psp: context deadline exceeded', 'psp: 503 Service Unavailable']),
  }), { region: q.regionOf(pod), pod }, kind);
}

function consumers(q: Q, rows: Row[]): void {
  const { r } = q;
  for (const ts of q.arrivals(0.5)) {
    const pod = r.pick(q.members(ts));
    const k = r.next();
    if (k < 0.012) { rows.push(retryable(q, ts, pod)); continue; }
    const topic = weighted(q, TOPICS);
    if (k < 0.05) {
      const p = r.int(0, topic.partitions - 1);
      const offset = q.offset(topic, p, ts);
      rows.push(q.row(ts, STREAMS.consumers, q.json(ts, 'info', 'duplicate message skipped', { group: 'ingest', member: pod, topic: topic.topic, partition: p, offset, key: `${topic.topic.slice(0, 3)}_${r.hex(12)}`, first_offset: offset - r.int(1, 5000) }), { region: q.regionOf(pod), pod }));
    } else rows.push(processed(q, ts, pod, topic, q.around(topic.ms)));
  }
  for (let tick = q.t0 + r.int(0, 59_999); tick < q.end; tick += 60_000) {
    const live = q.members(tick);
    for (const pod of live) {
      const ts = tick + r.int(0, 2000);
      rows.push(q.row(ts, STREAMS.consumers, q.json(ts, 'info', 'offsets committed', { group: 'ingest', member: pod, partitions: Math.ceil(54 / live.length), elapsed_ms: Number(q.around(4).toFixed(1)) }), { region: q.regionOf(pod), pod }));
    }
  }
  q.scale.forEach((e, k) => {
    const live = q.members(e.at + 1);
    for (const [i, pod] of live.entries()) {
      const ts = e.at + 3000 + i * r.int(20, 200);
      const meta = { region: q.regionOf(pod), pod };
      rows.push(q.row(ts, STREAMS.consumers, q.json(ts, 'info', 'partitions revoked', { group: 'ingest', member: pod, generation: generation(q, k), count: r.int(8, 18) }), meta));
      const parts = Array.from({ length: r.int(2, 4) }, () => { const t = r.pick(TOPICS); return `${t.topic}-${r.int(0, t.partitions - 1)}`; }).join(',');
      rows.push(q.row(ts + 900, STREAMS.consumers, q.json(ts + 900, 'info', 'partitions assigned', { group: 'ingest', member: pod, generation: generation(q, k + 1), partitions: `${parts},...` }), meta));
    }
  });
}

const COORD = 'kafka.coordinator.group.GroupCoordinator';
function coordinator(q: Q, rows: Row[]): void {
  const { r } = q;
  const push = (ts: number, msg: string): void => { rows.push(q.row(ts, STREAMS.kafka, q.kafka(ts, 'INFO', msg, COORD))); };
  q.scale.forEach((e, k) => {
    const id = `${e.pod}-${q.uuid()}`;
    const g = generation(q, k);
    if (e.join) {
      push(e.at, `[GroupCoordinator 2]: Dynamic member with unknown member id joins group ingest in Stable state. Created a new member id ${id} and request the member to rejoin with this id.`);
      push(e.at + 40, `[GroupCoordinator 2]: Preparing to rebalance group ingest in state PreparingRebalance with old generation ${g} (__consumer_offsets-17) (reason: Adding new member ${id} with group instance id None; client reason: need to re-join with the given member-id: ${id})`);
    } else {
      push(e.at, `[GroupCoordinator 2]: Preparing to rebalance group ingest in state PreparingRebalance with old generation ${g} (__consumer_offsets-17) (reason: Removing member ${id} on LeaveGroup; client reason: the consumer is being closed)`);
      push(e.at + 2, `[GroupCoordinator 2]: Member MemberMetadata(memberId=${id}, groupInstanceId=None, clientId=${e.pod}, clientHost=/10.0.${r.int(2, 9)}.${r.int(2, 250)}, sessionTimeoutMs=45000, rebalanceTimeoutMs=300000, supportedProtocols=List(cooperative-sticky)) has left group ingest through explicit \`LeaveGroup\`; client reason: the consumer is being closed`);
    }
    const n = q.members(e.at + 1).length;
    push(e.at + 2900, `[GroupCoordinator 2]: Stabilized group ingest generation ${g + 1} (__consumer_offsets-17) with ${n} members`);
    push(e.at + 2950, `[GroupCoordinator 2]: Assignment received from leader ${q.members(e.at + 1)[0]}-${q.uuid()} for group ingest for generation ${g + 1}. The group has ${n} members, 0 of which are static.`);
  });
}

export const rollLines = (q: Q, ts: number, ms: number, kind?: string): Row[] => {
  const { r } = q;
  const t = weighted(q, TOPICS);
  const p = r.int(0, t.partitions - 1);
  const at = q.offset(t, p, ts);
  return [
    q.row(ts, STREAMS.kafka, q.kafka(ts, 'INFO', `[ProducerStateManager partition=${t.topic}-${p}] Wrote producer snapshot at offset ${at} with ${r.int(0, 6)} producer ids in ${r.int(0, 2)} ms.`, 'org.apache.kafka.storage.internals.log.ProducerStateManager')),
    q.row(ts, STREAMS.kafka, q.kafka(ts, 'INFO', `[LocalLog partition=${t.topic}-${p}, dir=/var/lib/kafka/data] Rolled new log segment at offset ${at} in ${Math.round(ms)} ms.`, 'kafka.log.LocalLog'), undefined, kind),
  ];
};

function kafka(q: Q, rows: Row[]): void {
  const { r } = q;
  for (const ts of q.arrivals(1 / 30)) rows.push(...rollLines(q, ts, q.around(3, 0.35)));
  for (let ts = q.t0 + r.int(0, 60_000); ts < q.end; ts += r.int(40_000, 140_000)) {
    const t = weighted(q, TOPICS);
    const p = r.int(0, t.partitions - 1);
    const seg = `LogSegment(baseOffset=${q.offset(t, p, q.t0) - r.int(2_000_000, 9_000_000)}, size=${r.int(1_073_000_000, 1_073_741_823)}, lastModifiedTime=${ts - 604_800_000 - r.int(0, 3_600_000)}, largestRecordTimestamp=Some(${ts - 604_800_000 - r.int(3_600_000, 7_200_000)}))`;
    rows.push(q.row(ts, STREAMS.kafka, q.kafka(ts, 'INFO', `[UnifiedLog partition=${t.topic}-${p}, dir=/var/lib/kafka/data] Deleting segment ${seg} due to log retention time 604800000ms breach based on the largest record timestamp in the segment`, 'kafka.log.UnifiedLog')));
    rows.push(q.row(ts + 60_000, STREAMS.kafka, q.kafka(ts + 60_000, 'INFO', `[LocalLog partition=${t.topic}-${p}, dir=/var/lib/kafka/data] Deleting segment files ${seg}`, 'kafka.log.LocalLog$')));
  }
  for (let ts = q.t0 + r.int(0, 599_999); ts < q.end; ts += 600_000) {
    rows.push(q.row(ts, STREAMS.kafka, q.kafka(ts, 'INFO', `[GroupMetadataManager brokerId=2] Removed ${r.chance(0.8) ? 0 : r.int(1, 40)} expired offsets in ${r.int(0, 3)} milliseconds.`, 'kafka.coordinator.group.GroupMetadataManager')));
  }
  coordinator(q, rows);
}

/** A Celery task: its received line and, after its run, its succeeded line (labelled `kind` if any: it holds the run time and result). */
export function task(q: Q, rows: Row[], ts: number, t: Task, seconds: number, result = t.result(q.r), kind?: string): void {
  const { r } = q;
  const host = r.pick(q.workers(ts));
  const id = q.uuid();
  rows.push(q.row(ts, STREAMS.celery, q.celery(ts, 'INFO', 'MainProcess', `Task ${t.name}[${id}] received`), { host }));
  const done = ts + Math.round(seconds * 1000);
  rows.push(q.row(done, STREAMS.celery, q.celery(done, 'INFO', `ForkPoolWorker-${r.int(1, 8)}`, `Task ${t.name}[${id}] succeeded in ${seconds.toFixed(6)}s: ${result}`), { host }, kind));
}

export function retryLine(q: Q, ts: number, kind?: string): Row {
  const { r } = q;
  const status = r.pick(['502 Server Error: Bad Gateway', '503 Server Error: Service Unavailable', '504 Server Error: Gateway Timeout']);
  return q.row(ts, STREAMS.celery, q.celery(ts, 'INFO', 'MainProcess', `Task tasks.deliver_webhook[${q.uuid()}] retry: Retry in ${r.pick([30, 60, 120])}s: HTTPError('${status} for url: https://hooks.partner-${r.int(1, 60)}.example.net/events')`), { host: r.pick(q.workers(ts)) }, kind);
}

function celery(q: Q, rows: Row[]): void {
  const { r } = q;
  for (const ts of q.arrivals(0.22)) {
    const t = weighted(q, TASKS);
    if (t.name === 'tasks.deliver_webhook' && r.chance(0.025)) {
      rows.push(q.row(ts, STREAMS.celery, q.celery(ts, 'INFO', 'MainProcess', `Task ${t.name}[${q.uuid()}] received`), { host: r.pick(q.workers(ts)) }));
      rows.push(retryLine(q, ts + Math.round(q.around(400))));
    } else task(q, rows, ts, t, q.around(t.s, 0.35));
  }
  for (let ts = q.surgeAt; ts < q.surgeAt + 480_000; ts += Math.round(r.exp(4000))) task(q, rows, ts, TASKS[0], q.around(TASKS[0].s, 0.35));
  for (const w of q.workerJoins) {
    const say = (dt: number, msg: string, host = w.host): void => { rows.push(q.row(w.at + dt, STREAMS.celery, q.celery(w.at + dt, 'INFO', 'MainProcess', msg), { host })); };
    say(0, 'Connected to amqp://celery:**@mq-1.internal:5672/jobs');
    say(40, 'mingle: searching for neighbors');
    const others = q.workers(w.at - 1);
    say(1100, `mingle: sync with ${others.length} nodes`);
    say(1101, 'mingle: sync complete');
    say(1150, `celery@${w.host} ready.`);
    for (const [i, h] of others.entries()) say(1200 + i * 30, `sync with celery@${w.host}`, h);
  }
}

/** A connection accepted and authenticated on the broker (the authenticated line, which names the vhost, labelled `kind` if any). */
export function rabbitAuth(q: Q, rows: Row[], ts: number, user: string, vhost: string, kind?: string): { pid: string; peer: string } {
  const pid = q.erl();
  const peer = `10.0.${q.r.int(2, 9)}.${q.r.int(2, 250)}:${q.r.int(32768, 60999)} -> 10.0.1.5:5672`;
  rows.push(q.row(ts, STREAMS.rabbit, q.rabbit(ts, 'info', pid, `accepting AMQP connection ${pid} (${peer})`)));
  rows.push(q.row(ts + 3, STREAMS.rabbit, q.rabbit(ts + 3, 'info', pid, `connection ${pid} (${peer}): user '${user}' authenticated and granted access to vhost '${vhost}'`), undefined, kind));
  return { pid, peer };
}

export const unexpectedClose = (q: Q, ts: number, kind?: string): Row[] => {
  const pid = q.erl();
  const peer = `10.0.${q.r.int(2, 9)}.${q.r.int(2, 250)}:${q.r.int(32768, 60999)} -> 10.0.1.5:5672`;
  return [
    q.row(ts, STREAMS.rabbit, q.rabbit(ts, 'warning', pid, `closing AMQP connection ${pid} (${peer}, vhost: 'jobs', user: 'webapp'):`), undefined, kind),
    q.row(ts, STREAMS.rabbit, q.rabbit(ts, 'warning', pid, 'client unexpectedly closed TCP connection'), undefined, kind),
  ];
};

function rabbit(q: Q, rows: Row[]): void {
  const { r } = q;
  for (const ts of q.arrivals(1 / 25)) {
    const vhost = r.chance(0.7) ? VHOSTS[0] : VHOSTS[1];
    const { pid, peer } = rabbitAuth(q, rows, ts, 'webapp', vhost);
    const out = ts + r.int(200, 9000);
    rows.push(q.row(out, STREAMS.rabbit, q.rabbit(out, 'info', pid, `closing AMQP connection ${pid} (${peer}, vhost: '${vhost}', user: 'webapp')`)));
  }
  for (const w of q.workerJoins) rabbitAuth(q, rows, w.at - 30, 'celery', 'jobs');
  for (let ts = q.t0 + r.int(60_000, 1_200_000); ts < q.end; ts += r.int(900_000, 1_800_000)) rows.push(...unexpectedClose(q, ts));
}

/** The broker and its fleet's six streams over `minutes` of event time (4-5.5 hours by seed), with labelled incidents. */
export function generateQueue(seed: number, minutes = 240 + ((seed * 37) % 91)): GeneratedSet {
  const q = world(seed, minutes);
  const rows: Row[] = [];
  consumers(q, rows);
  celery(q, rows);
  rabbit(q, rows);
  kafka(q, rows);
  scheduler(q, rows);
  dlq(q, rows);
  injectQueueIncidents(q, rows);
  return labelledSet(rows.filter((x) => x.ts < q.end));
}

export const QUEUE_NAMES = QUEUES.map((x) => x.name);

export const queueGenerator: Generator = {
  describe: 'a message broker and its worker fleet: Go Kafka consumers (JSON), Celery workers, RabbitMQ, the Kafka broker, a logfmt scheduler with drifting queue depths and a dead-letter handler over 4-5.5 hours, rebalances and new workers; incidents: new_error, rare_error, rare_burst, unusual_value, unseen_category, retry_storm (redelivery), silence',
  generate: (seed) => generateQueue(seed),
};
