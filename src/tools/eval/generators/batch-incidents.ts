// The `batch` generator's labelled incidents (see batch.ts), all after a 6-minute warm-up and none
// in the last 30 s:
//   new_error        3 never-seen error templates, each in its stream's own format: a Spark task
//                    lost to an OutOfMemoryError with its frames or an executor killed (exit 137),
//                    an Airflow task's Python traceback (disk full), a Kafka log-dir write failure
//                    with its exception, an EXT4 journal abort in the kernel log, a CI job's
//                    system failure, an object-store PUT answered 507 XMinioStorageFull
//   rare_error       one error recurring all run long (Kafka replica fetcher's NotLeaderOrFollower
//                    on even seeds, Spark tasks lost to a Kafka TimeoutException on odd ones): 3
//                    lone ones anywhere, a burst of 100-150 over 1-2.5 minutes in the first half,
//                    6 lone ones after it
//   unusual_value    5 known lines with a value unusual for their context: a 5xx on an object-store
//                    route that never fails (LIST and PUT answer 503 normally), 30× a HEAD's or a
//                    delete's latency (LIST and backups are normally slower than that), 30× a Kafka
//                    read task's duration (compaction tasks normally take that long), 30× a quick
//                    Airflow task's run_duration (other tasks normally run minutes), 30× the CPU
//                    time of a light systemd timer (others normally use that much)
//   unseen_category  3 values never seen in a low-cardinality slot: an Airflow queue (on the task's
//                    Sending and Finished lines), an object-store region, a sudo user
//   retry_storm      2 bursts of a normal but infrequent line: Kafka group rebalances (30-60 in
//                    5-15 s) or 503 SlowDown answers to parquet PUTs (40-90 in 3-8 s)
import type { S3Agent } from './batch-lines.js';
import { STREAMS, type Batch, type Row } from './batch-lines.js';
import { DAGS, NEW_QUEUES, QUICK_TASKS, READ_TASKS } from './batch-jobs.js';
import { GROUPS, NEW_REGIONS, NEW_SUDO_USERS, QUIET_ROUTES, rebalanceLine, S3_ROUTES, s3Line, SLOW_DOWN, sudoLines, UNITS, cpuTime, type S3Route } from './batch.js';

type Agents = Record<S3Route['agent'], S3Agent>;
type Maker = (b: Batch, ag: Agents, ts: number) => Row[];

const frames = (b: Batch, ts: number, stream: string, head: string, lines: string[], kind: string): Row[] =>
  [b.row(ts, stream, head, kind), ...lines.map((l) => b.row(ts, stream, l, kind))];
const exec = (b: Batch): [number, string] => [b.r.int(1, 8), b.ip()];

const NEW_ERRORS: Maker[] = [
  (b, _ag, ts) => {
    const [e, ip] = exec(b);
    return frames(b, ts, STREAMS.spark, b.spark(ts, 'WARN', 'TaskSetManager', `Lost task ${b.r.int(0, 7)}.0 in stage ${b.r.int(9000, 20_000)}.0 (TID ${b.r.int(200_000, 400_000)}) (${ip} executor ${e}): java.lang.OutOfMemoryError: Java heap space`), [
      '\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)',
      '\tat org.apache.parquet.bytes.CapacityByteArrayOutputStream.addSlab(CapacityByteArrayOutputStream.java:178)',
      '\tat org.apache.parquet.column.values.dictionary.DictionaryValuesWriter.getBytes(DictionaryValuesWriter.java:164)',
      '\tat org.apache.spark.sql.execution.datasources.FileFormatDataWriter.write(FileFormatDataWriter.scala:175)',
    ], 'new_error');
  },
  (b, _ag, ts) => {
    const [e, ip] = exec(b);
    return [b.row(ts, STREAMS.spark, b.spark(ts, 'ERROR', 'TaskSchedulerImpl', `Lost executor ${e} on ${ip}: The executor with id ${e} exited with exit code 137(SIGKILL, possible container OOM).`), 'new_error')];
  },
  (b, _ag, ts) => {
    const d = b.r.pick(DAGS);
    return frames(b, ts, STREAMS.airflow, b.airflow(ts, 'taskinstance.py:2905', 'ERROR', 'Task failed with exception'), [
      'Traceback (most recent call last):',
      `  File "/opt/airflow/dags/${d.dag}.py", line ${b.r.int(60, 140)}, in ${d.tasks[d.tasks.length - 1][0]}`,
      '    cur.copy_expert(sql, buf)',
      `psycopg2.errors.DiskFull: could not extend file "base/16384/${b.r.int(20_000, 30_000)}.${b.r.int(1, 9)}": No space left on device`,
    ], 'new_error');
  },
  (b, _ag, ts) => frames(b, ts, STREAMS.kafka, b.kafka(ts, 'ERROR', 'Error while writing to checkpoint file /var/lib/kafka/data/recovery-point-offset-checkpoint', 'kafka.server.LogDirFailureChannel'), [
    'java.io.IOException: No space left on device',
    '\tat java.base/sun.nio.ch.FileDispatcherImpl.write0(Native Method)',
    '\tat org.apache.kafka.server.common.CheckpointFile.write(CheckpointFile.java:84)',
  ], 'new_error'),
  (b, _ag, ts) => [
    b.row(ts, STREAMS.journal, b.journal(ts, 'kernel', 'EXT4-fs error (device nvme1n1p1): ext4_journal_check_start:83: comm dockerd: Detected aborted journal'), 'new_error'),
    b.row(ts, STREAMS.journal, b.journal(ts, 'kernel', 'EXT4-fs (nvme1n1p1): Remounting filesystem read-only'), 'new_error'),
  ],
  (b, _ag, ts) => [b.row(ts, STREAMS.ci, b.runner(ts, 'ERROR: Job failed (system failure): prepare environment: Error response from daemon: failed to create shim task: OCI runtime create failed: error mounting "/builds": permission denied: unknown', { duration_s: (b.r.next() * 3).toFixed(6), job: b.r.int(48_900_000, 48_999_999), project: 112, runner: b.r.hex(8) }), 'new_error')],
  (b, ag, ts) => [b.row(ts, STREAMS.store, s3Line(b, ag, ts, S3_ROUTES[1], { status: 507, error: 'XMinioStorageFull', ms: b.r.int(2, 30) }), 'new_error')],
];

function rareError(b: Batch, rows: Row[], at: () => number): void {
  const { r } = b;
  const one = (ts: number): Row[] => {
    if (b.seed % 2 === 0) {
      const tp = `clickstream-${r.int(0, 11)}`;
      return [
        b.row(ts, STREAMS.kafka, b.kafka(ts, 'ERROR', `[ReplicaFetcher replicaId=2, leaderId=${r.pick([1, 3])}, fetcherId=0] Error for partition ${tp} at offset ${r.int(10_000_000, 99_000_000)}`, 'kafka.server.ReplicaFetcherThread'), 'rare_error'),
        b.row(ts, STREAMS.kafka, 'org.apache.kafka.common.errors.NotLeaderOrFollowerException: The server is not the leader for that topic-partition.', 'rare_error'),
      ];
    }
    const [e, ip] = exec(b);
    return [b.row(ts, STREAMS.spark, b.spark(ts, 'WARN', 'TaskSetManager', `Lost task ${r.int(0, READ_TASKS - 1)}.0 in stage ${r.int(9000, 20_000)}.0 (TID ${r.int(200_000, 400_000)}) (${ip} executor ${e}): org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired before the position for partition clickstream-${r.int(0, 11)} could be determined`), 'rare_error')];
  };
  const burstAt = b.t0 + 420_000 + Math.floor(r.next() * (b.end - b.t0) * 0.35);
  const n = r.int(100, 150);
  const span = r.int(60_000, 150_000);
  let ts = burstAt;
  for (let j = 0; j < n; j++) { rows.push(...one(ts)); ts += Math.round(r.exp(span / n)); }
  for (let k = 0; k < 3; k++) rows.push(...one(at()));
  const after = ts + 30_000;
  for (let k = 0; k < 6; k++) rows.push(...one(after + Math.floor(r.next() * (b.end - 30_000 - after))));
}

/** The unlabelled row of `stream` nearest `ts` (after it when `after`) whose line `test` accepts. */
function findRow(rows: Row[], stream: string, ts: number, test: (line: string) => boolean, after = false): Row | undefined {
  let best: Row | undefined;
  const far = (x: Row): number => (after && x.ts < ts ? Infinity : Math.abs(x.ts - ts));
  for (const x of rows) if (x.kind === undefined && x.ev.stream === stream && far(x) < (best === undefined ? Infinity : far(best)) && test(String(x.ev.data))) best = x;
  return best;
}

function relabel(row: Row | undefined, data: string, kind: string): void {
  if (row === undefined) return;
  row.ev.data = data;
  row.kind = kind;
}

function unusualValue(b: Batch, ag: Agents, rows: Row[], ts: number, which: number): void {
  const { r } = b;
  const x30 = (median: number): number => b.around(median, 0.15) * 30;
  if (which === 0) {
    const fail = r.pick([{ status: 500, error: 'InternalError' }, SLOW_DOWN, { status: 502, error: '-' }, { status: 504, error: '-' }]);
    rows.push(b.row(ts, STREAMS.store, s3Line(b, ag, ts, r.pick(QUIET_ROUTES), { ...fail, ms: fail.status === 504 ? r.int(60_000, 60_010) : r.int(1, 30) }), 'unusual_value'));
  } else if (which === 1) {
    const route = r.pick(QUIET_ROUTES.filter((q) => q.ms < 10));
    rows.push(b.row(ts, STREAMS.store, s3Line(b, ag, ts, route, { status: route.statuses[0], ms: x30(route.ms) }), 'unusual_value'));
  } else if (which === 2) {
    const row = findRow(rows, STREAMS.spark, ts, (l) => l.includes('Finished task') && l.endsWith(`/${READ_TASKS})`));
    relabel(row, String(row?.ev.data).replace(/\) in \d+ ms on /, `) in ${Math.round(x30(800))} ms on `), 'unusual_value');
  } else if (which === 3) {
    const row = findRow(rows, STREAMS.airflow, ts, (l) => l.includes('TaskInstance Finished') && QUICK_TASKS.some((t) => l.includes(`task_id=${t},`)));
    const task = DAGS.flatMap((d) => d.tasks).find(([t]) => String(row?.ev.data).includes(`task_id=${t},`));
    const took = x30(task?.[1] ?? 5);
    const start = Date.parse(/run_start_date=(\S+) (\S+),/.exec(String(row?.ev.data))?.slice(1, 3).join('T').replace(/0{3}\+00:00$/, 'Z') ?? '');
    const end = `${new Date(start + took * 1000).toISOString().slice(0, 23).replace('T', ' ')}000+00:00`;
    relabel(row, String(row?.ev.data).replace(/run_end_date=[^,]+, run_duration=[\d.]+/, `run_end_date=${end}, run_duration=${took.toFixed(6)}`), 'unusual_value');
  } else {
    const row = findRow(rows, STREAMS.journal, ts, (l) => l.includes(`${UNITS[0][0]}: Consumed`));
    relabel(row, String(row?.ev.data).replace(/Consumed \S+ CPU/, `Consumed ${cpuTime(x30(UNITS[0][3]))} CPU`), 'unusual_value');
  }
}

function unseenCategory(b: Batch, ag: Agents, rows: Row[], ts: number, which: number): void {
  const { r } = b;
  if (which === 0) {
    const send = findRow(rows, STREAMS.airflow, ts, (l) => l.includes('Sending TaskInstanceKey('));
    const m = /task_id='([^']+)', run_id='([^']+)', try_number=(\d+).*and queue (\w+)$/.exec(String(send?.ev.data));
    if (send === undefined || m === null) return;
    const q = r.pick(NEW_QUEUES);
    relabel(send, String(send.ev.data).replace(/queue \w+$/, `queue ${q}`), 'unseen_category');
    const done = findRow(rows, STREAMS.airflow, send.ts, (l) => l.includes(`task_id=${m[1]}, run_id=${m[2]},`) && l.includes(`try_number=${m[3]},`) && l.includes('TaskInstance Finished'), true);
    relabel(done, String(done?.ev.data).replace(/queue=\w+,/, `queue=${q},`), 'unseen_category');
  } else if (which === 1) {
    rows.push(b.row(ts, STREAMS.store, s3Line(b, ag, ts, S3_ROUTES[r.int(0, 2)], { region: r.pick(NEW_REGIONS) }), 'unseen_category'));
  } else {
    for (const l of sudoLines(b, ts, r.pick(NEW_SUDO_USERS))) rows.push(b.row(ts, STREAMS.journal, l, 'unseen_category'));
  }
}

function retryStorm(b: Batch, ag: Agents, rows: Row[], ts: number, kafka: boolean): void {
  const { r } = b;
  const n = kafka ? r.int(30, 60) : r.int(40, 90);
  const span = kafka ? r.int(5000, 15_000) : r.int(3000, 8000);
  const group = r.pick(GROUPS);
  let gen = r.int(50, 400);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n);
    rows.push(b.row(t, kafka ? STREAMS.kafka : STREAMS.store, kafka ? rebalanceLine(b, t, group, gen++) : s3Line(b, ag, t, S3_ROUTES[1], { ...SLOW_DOWN, ms: r.int(1, 15) }), 'retry_storm'));
  }
}

/** Every kind, at random times after the warm-up. */
export function injectBatchIncidents(b: Batch, ag: Agents, rows: Row[]): void {
  const { r } = b;
  const used: number[] = [];
  const at = (): number => {
    let t = 0;
    for (let tries = 0; tries < 100; tries++) {
      t = b.t0 + 360_000 + Math.floor(r.next() * (b.end - b.t0 - 390_000));
      if (used.every((u) => Math.abs(u - t) >= 20_000)) break;
    }
    used.push(t);
    return t;
  };
  for (let k = 0; k < 3; k++) rows.push(...NEW_ERRORS[(b.seed * 3 + k) % NEW_ERRORS.length](b, ag, at()));
  for (let k = 0; k < 5; k++) unusualValue(b, ag, rows, at(), (b.seed + k) % 5);
  for (let k = 0; k < 3; k++) unseenCategory(b, ag, rows, at(), (b.seed + k) % 3);
  for (let k = 0; k < 2; k++) retryStorm(b, ag, rows, at(), (b.seed + k) % 2 === 0);
  rareError(b, rows, at);
}
