// Generator `batch`: a nightly data platform, a log style written without reading the detector
// (beside `logs`, `k8s` and `svc`), to measure how the detector generalises.
//
//   seed ─► world() (batch-lines.ts) ─► 75 minutes of event time in the nightly window: the rate
//   │       ramps 0.6× → 1.4× the mean, one benign 4-minute backfill (1.8×); six streams, six
//   │       formats, at very different rates:
//   │         store/s3-gateway     nginx JSON access log of an S3-style object store, ~6/s:
//   │                              ten routes (Spark parquet reads and writes, HEADs, LISTs,
//   │                              _temporary deletes, CI cache, Airflow task logs, backups);
//   │                              LIST and PUT answer 503 SlowDown now and then, HEAD is ~3 ms,
//   │                              LIST ~260 ms and the backup upload ~900 ms
//   │         spark/ingest-driver  Spark structured streaming (batch-jobs.ts), ~3/s
//   │         kafka/broker-2       Kafka broker log4j: segment rolls, retention deletes, consumer
//   │                              group rebalances now and then, ~1.5/s
//   │         sched/airflow        Airflow scheduler (batch-jobs.ts): five DAGs, retries, manual
//   │                              runs, the DAG processor's parse loop, ~0.6/s
//   │         host/etl-worker-3    systemd journal: cron, timers with their CPU time, ssh and sudo
//   │                              of three admins, dockerd events, ~0.4/s
//   │         ci/runner-07         GitLab runner in syslog: jobs of five projects, ~10% of them
//   │                              failing (exit code 1), ~0.3/s
//   │       benign novelty on normal lines: object keys with dates, uuids and part numbers, request
//   │       ids, offsets, run ids, job ids, TIDs, pids, container ids, durations and sizes
//   └─► incidents after a 6-minute warm-up (batch-incidents.ts), labelled new_error, rare_error,
//       unusual_value, unseen_category, retry_storm
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { STREAMS, world, type Batch, type Row, type S3Agent } from './batch-lines.js';
import { airflow, spark } from './batch-jobs.js';
import { injectBatchIncidents } from './batch-incidents.js';

export const BATCH_KINDS = ['new_error', 'rare_error', 'retry_storm', 'unseen_category', 'unusual_value'] as const;
export const REGIONS = ['eu-central-1', 'eu-west-1'];
export const NEW_REGIONS = ['us-east-1', 'ap-southeast-2', 'sa-east-1'];
export const SUDO_USERS = ['dataeng', 'sre-oncall', 'ansible'];
export const NEW_SUDO_USERS = ['intern', 'www-data', 'airflow'];

export interface S3Route {
  name: string;
  method: string;
  bucket: string;
  agent: 'spark' | 'airflow' | 'ci' | 'backup';
  weight: number;
  key: (b: Batch, ts: number) => string;
  query?: (b: Batch, ts: number) => string;
  statuses: number[];
  ms: number;
  bytes: (b: Batch) => number;
  fail?: { p: number; status: number; error: string };
}

const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const hour = (ts: number): string => new Date(ts).toISOString().slice(11, 13);
const part = (b: Batch, ts: number): string => `raw/clickstream/dt=${day(ts)}/hour=${hour(ts)}/part-${String(b.r.int(0, 31)).padStart(5, '0')}-${b.uuid()}.c000.snappy.parquet`;
export const SLOW_DOWN = { status: 503, error: 'SlowDown' };
export const S3_ROUTES: S3Route[] = [
  { name: 'get-parquet', method: 'GET', bucket: 'datalake', agent: 'spark', weight: 30, key: part, statuses: [200, 200, 200, 206, 206], ms: 45, bytes: (b) => b.r.int(100_000, 60_000_000) },
  { name: 'put-parquet', method: 'PUT', bucket: 'datalake', agent: 'spark', weight: 14, key: part, statuses: [200], ms: 120, bytes: () => 0, fail: { p: 0.004, ...SLOW_DOWN } },
  { name: 'head', method: 'HEAD', bucket: 'datalake', agent: 'spark', weight: 18, key: (b) => b.r.chance(0.5) ? `checkpoints/ingest/offsets/${b.r.int(20_000, 90_000)}` : `raw/clickstream/_spark_metadata/${b.r.int(1000, 9999)}.compact`, statuses: [200, 200, 200, 404], ms: 3, bytes: () => 0 },
  { name: 'list', method: 'GET', bucket: 'datalake', agent: 'spark', weight: 10, key: () => '', query: (b, ts) => `list-type=2&prefix=raw%2Fclickstream%2Fdt%3D${day(ts)}%2Fhour%3D${hour(ts)}%2F&delimiter=%2F&max-keys=${b.r.pick([1000, 5000])}`, statuses: [200], ms: 260, bytes: (b) => b.r.int(2000, 900_000), fail: { p: 0.012, ...SLOW_DOWN } },
  { name: 'delete-temp', method: 'DELETE', bucket: 'datalake', agent: 'spark', weight: 6, key: (b, ts) => `raw/clickstream/_temporary/0/_temporary/attempt_${day(ts).replaceAll('-', '')}${hour(ts)}${b.r.int(1000, 9999)}_${String(b.r.int(0, 99)).padStart(4, '0')}_m_${String(b.r.int(0, 31)).padStart(6, '0')}_${b.r.int(0, 3)}/part-${String(b.r.int(0, 31)).padStart(5, '0')}.snappy.parquet`, statuses: [204], ms: 6, bytes: () => 0 },
  { name: 'get-cache', method: 'GET', bucket: 'ci-cache', agent: 'ci', weight: 8, key: (b) => `runner/${b.r.hex(8)}/project/${b.r.pick(PROJECTS)[0]}/${b.r.pick(['default', 'pip-cache', 'node-modules'])}-protected`, statuses: [200, 200, 304, 404], ms: 60, bytes: (b) => b.r.int(10_000, 400_000_000) },
  { name: 'put-artifacts', method: 'PUT', bucket: 'ci-cache', agent: 'ci', weight: 3, key: (b) => `project/${b.r.pick(PROJECTS)[0]}/jobs/${b.r.int(48_000_000, 48_999_999)}/artifacts.zip`, statuses: [200], ms: 210, bytes: () => 0 },
  { name: 'put-tasklog', method: 'PUT', bucket: 'airflow-logs', agent: 'airflow', weight: 5, key: (b, ts) => `dag_id=${b.r.pick(['etl_orders', 'dq_checks', 'etl_clickstream', 'ml_features'])}/run_id=scheduled__${new Date(ts - (ts % 300_000) - 300_000).toISOString().slice(0, 19)}+00:00/task_id=${b.r.pick(['extract', 'load', 'check_nulls', 'spark_submit', 'validate'])}/attempt=1.log`, statuses: [200], ms: 25, bytes: () => 0 },
  { name: 'put-backup', method: 'PUT', bucket: 'pg-backups', agent: 'backup', weight: 2, key: (b) => `basebackups_005/base_${b.r.hex(24).toUpperCase()}/tar_partitions/part_${b.r.int(1, 400)}.tar.lz4`, query: (b) => `partNumber=${b.r.int(1, 60)}&uploadId=${b.r.hex(32)}`, statuses: [200], ms: 900, bytes: () => 0 },
  { name: 'put-eventlog', method: 'PUT', bucket: 'spark-history', agent: 'spark', weight: 2, key: (b) => `eventlogs/eventlog_v2_spark-${b.r.hex(32)}/events_${b.r.int(1, 40)}_spark-${b.r.hex(32)}.zstd`, statuses: [200], ms: 40, bytes: () => 0 },
];
/** Routes that never answer 5xx and answer fast (where an unusual value is placed). */
export const QUIET_ROUTES = S3_ROUTES.filter((x) => x.fail === undefined && x.ms <= 60);
const ROUTE_WEIGHT = S3_ROUTES.reduce((a, x) => a + x.weight, 0);
export const PROJECTS: [number, string][] = [[112, 'data/etl-pipelines'], [131, 'data/dbt-models'], [207, 'platform/spark-images'], [244, 'ml/feature-store'], [318, 'data/airflow-dags']];

export function agents(b: Batch): Record<S3Route['agent'], S3Agent> {
  const key = (): string => `AKIA${b.r.hex(16).toUpperCase()}`;
  return {
    spark: { ips: Array.from({ length: 10 }, () => b.ip()), ua: 'Hadoop 3.3.6, aws-sdk-java/1.12.367 Linux/5.15.0-1051-aws OpenJDK_64-Bit_Server_VM/17.0.9+9 java/17.0.9 scala/2.12.18 vendor/Eclipse_Adoptium cfg/retry-mode/legacy', key: key(), region: REGIONS[0] },
    airflow: { ips: [b.ip(), b.ip()], ua: 'Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#5.15.0-1051-aws md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.34', key: key(), region: REGIONS[0] },
    ci: { ips: [b.ip()], ua: 'MinIO (linux; amd64) minio-go/v7.0.63', key: key(), region: REGIONS[0] },
    backup: { ips: [b.ip()], ua: 'aws-sdk-go/1.44.327 (go1.21.5; linux; amd64) wal-g/3.0.0', key: key(), region: REGIONS[1] },
  };
}

/** One access line of a route: normal, or with a given status / duration / region. */
export function s3Line(b: Batch, ag: Record<S3Route['agent'], S3Agent>, ts: number, route: S3Route, o: { status?: number; error?: string; ms?: number; region?: string } = {}): string {
  const { r } = b;
  const failed = o.status === undefined && route.fail !== undefined && r.chance(route.fail.p);
  const status = o.status ?? (failed ? route.fail?.status ?? 500 : r.pick(route.statuses));
  const error = o.error ?? (failed ? route.fail?.error ?? '-' : status === 404 ? 'NoSuchKey' : '-');
  const ms = o.ms ?? (failed ? r.int(1, 15) : b.around(route.ms));
  const bytes = status >= 300 && status !== 304 ? r.int(180, 420) : status === 304 ? 0 : route.method === 'HEAD' ? 0 : route.bytes(b);
  return b.s3(ts, { agent: ag[route.agent], method: route.method, bucket: route.bucket, key: route.key(b, ts), query: route.query?.(b, ts) ?? '', status, error, bytes, ms: Math.round(ms), region: o.region });
}

function store(b: Batch, rows: Row[], ag: Record<S3Route['agent'], S3Agent>): void {
  const { r } = b;
  for (const ts of b.arrivals(6)) {
    let w = r.next() * ROUTE_WEIGHT;
    const route = S3_ROUTES.find((x) => (w -= x.weight) < 0) ?? S3_ROUTES[0];
    rows.push(b.row(ts, STREAMS.store, s3Line(b, ag, ts, route)));
  }
}

const TOPICS: [string, number][] = [['clickstream', 12], ['orders', 6], ['cdc.public.customers', 3]];
const KDIR = '/var/lib/kafka/data';
export const GROUPS = ['spark-ingest', 'orders-sink', 'cdc-connect'];
export const rebalanceLine = (b: Batch, ts: number, group: string, gen: number): string =>
  b.kafka(ts, 'INFO', `[GroupCoordinator 2]: Preparing to rebalance group ${group} in state PreparingRebalance with old generation ${gen} (__consumer_offsets-${17 + GROUPS.indexOf(group) * 9}) (reason: ${b.r.pick(['Adding new member', 'Removing member', 'Leader'])} consumer-${group}-${b.r.int(1, 9)}-${b.uuid()} ${b.r.pick(['with group instance id None; client reason: rebalance failed due to MemberIdRequiredException', 'on LeaveGroup; client reason: the consumer is being closed', 'on heartbeat expiration'])})`, 'kafka.coordinator.group.GroupCoordinator');

function kafka(b: Batch, rows: Row[]): void {
  const { r } = b;
  const offsets = new Map<string, number>();
  const push = (ts: number, msg: string, cls: string): void => { rows.push(b.row(ts, STREAMS.kafka, b.kafka(ts, 'INFO', msg, cls))); };
  for (const ts of b.arrivals(0.28)) {
    const [topic, n] = r.pick(TOPICS);
    const tp = `${topic}-${r.int(0, n - 1)}`;
    const off = (offsets.get(tp) ?? r.int(10_000_000, 90_000_000)) + r.int(200_000, 900_000);
    offsets.set(tp, off);
    push(ts, `[LocalLog partition=${tp}, dir=${KDIR}] Rolled new log segment at offset ${off} in ${r.int(0, 4)} ms.`, 'kafka.log.LocalLog');
    push(ts + r.int(0, 3), `[ProducerStateManager partition=${tp}] Wrote producer snapshot at offset ${off} with ${r.int(0, 3)} producer ids in ${r.int(0, 6)} ms.`, 'org.apache.kafka.storage.internals.log.ProducerStateManager');
    if (r.chance(0.5)) {
      const t = ts + r.int(20_000, 60_000);
      const base = String(off - r.int(5_000_000, 9_000_000)).padStart(20, '0');
      const seg = `LogSegment(baseOffset=${Number(base)}, size=${r.int(1_000_000_000, 1_073_741_824)}, lastModifiedTime=${t - r.int(3_600_000, 90_000_000)}, largestRecordTimestamp=${t - r.int(3_600_000, 90_000_000)})`;
      push(t, `[UnifiedLog partition=${tp}, dir=${KDIR}] Deleting segment ${seg} due to log retention time 604800000ms breach based on the largest record timestamp in the segment`, 'kafka.log.UnifiedLog');
      push(t + 1, `[UnifiedLog partition=${tp}, dir=${KDIR}] Incremented log start offset to ${Number(base) + r.int(900_000, 1_100_000)} due to segment deletion`, 'kafka.log.UnifiedLog');
      for (const ext of ['log', 'index', 'timeindex']) push(t + 60_000 + r.int(0, 20), `Deleted ${ext === 'log' ? 'log' : ext === 'index' ? 'offset index' : 'time index'} ${KDIR}/${tp}/${base}.${ext}.deleted.`, 'kafka.log.LogSegment');
    }
  }
  const gens = GROUPS.map(() => r.int(10, 400));
  for (const ts of b.arrivals(1 / 240)) {
    const g = r.int(0, GROUPS.length - 1);
    const group = GROUPS[g];
    rows.push(b.row(ts, STREAMS.kafka, rebalanceLine(b, ts, group, gens[g])));
    gens[g] += 1;
    const t = ts + r.int(3000, 45_000);
    const members = r.int(2, 8);
    push(t, `[GroupCoordinator 2]: Stabilized group ${group} generation ${gens[g]} (__consumer_offsets-${17 + g * 9}) with ${members} members`, 'kafka.coordinator.group.GroupCoordinator');
    push(t + r.int(2, 40), `[GroupCoordinator 2]: Assignment received from leader consumer-${group}-1-${b.uuid()} for group ${group} for generation ${gens[g]}. The group has ${members} members, 0 of which are static.`, 'kafka.coordinator.group.GroupCoordinator');
  }
  for (let ts = b.t0 + r.int(0, 599_999); ts < b.end; ts += 600_000) push(ts, `[GroupMetadataManager brokerId=2] Removed ${r.int(0, 40)} expired offsets in ${r.int(0, 9)} milliseconds.`, 'kafka.coordinator.group.GroupMetadataManager');
}

export const cpuTime = (ms: number): string => (ms < 1000 ? `${Math.round(ms)}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(3)}s` : `${Math.floor(ms / 60_000)}min ${((ms % 60_000) / 1000).toFixed(3)}s`);
/** Timer units: [unit, description, every minutes, median CPU ms]. */
export const UNITS: [string, string, number, number][] = [
  ['sysstat-collect.service', 'system activity accounting tool', 10, 14],
  ['logrotate.service', 'Rotate log files', 30, 1200],
  ['airflow-log-sync.service', 'Ship Airflow task logs to S3', 5, 380],
  ['fstrim.service', 'Discard unused blocks on filesystems from /etc/fstab', 60, 90],
];
export const sudoLines = (b: Batch, ts: number, user: string): string[] => {
  const pid = b.r.int(2000, 99_999);
  const cmd = b.r.pick(['/usr/bin/systemctl restart airflow-worker', `/usr/bin/journalctl -u airflow-worker -n ${b.r.pick([100, 200, 500])}`, '/usr/bin/docker ps -a', `/usr/bin/du -sh /var/lib/docker/volumes/${b.r.hex(12)}`, '/usr/bin/systemctl status sysstat-collect.timer']);
  return [b.journal(ts, `sudo[${pid}]`, `${user.padStart(8)} : TTY=pts/${b.r.int(0, 3)} ; PWD=/home/${user} ; USER=root ; COMMAND=${cmd}`),
    b.journal(ts, `sudo[${pid}]`, `pam_unix(sudo:session): session opened for user root(uid=0) by ${user}(uid=${1000 + SUDO_USERS.indexOf(user) + 1})`)];
};
export const unitLines = (b: Batch, ts: number, u: number, cpuMs: number): [number, string][] => {
  const [unit, desc] = UNITS[u];
  const end = ts + Math.round(cpuMs * 1.4) + b.r.int(5, 200);
  return [[ts, b.journal(ts, 'systemd[1]', `Starting ${unit} - ${desc}...`)], [end, b.journal(end, 'systemd[1]', `${unit}: Deactivated successfully.`)], [end, b.journal(end, 'systemd[1]', `Finished ${unit} - ${desc}.`)], [end, b.journal(end, 'systemd[1]', `${unit}: Consumed ${cpuTime(cpuMs)} CPU time.`)]];
};

function journal(b: Batch, rows: Row[]): void {
  const { r } = b;
  const J = STREAMS.journal;
  for (let ts = b.t0 + r.int(0, 59_999); ts < b.end; ts += 60_000) rows.push(b.row(ts, J, b.journal(ts, `CRON[${r.int(2000, 99_999)}]`, '(airflow) CMD (/opt/airflow/scripts/cleanup_logs.sh --days 7 >/dev/null 2>&1)')));
  UNITS.forEach(([, , every, cpu], u) => {
    for (let ts = b.t0 + r.int(0, every * 60_000 - 1); ts < b.end; ts += every * 60_000 + r.int(-3000, 3000)) for (const [t, l] of unitLines(b, ts, u, b.around(cpu, 0.3))) rows.push(b.row(t, J, l));
  });
  let session = r.int(1000, 9000);
  for (const t of b.arrivals(1 / 420)) {
    const user = r.pick(SUDO_USERS);
    const pid = r.int(2000, 99_999);
    rows.push(b.row(t, J, b.journal(t, `sshd[${pid}]`, `Accepted publickey for ${user} from 10.20.${r.int(0, 7)}.${r.int(2, 250)} port ${r.int(32768, 60999)} ssh2: ED25519 SHA256:${r.hex(22)}`)));
    rows.push(b.row(t + 60, J, b.journal(t + 60, 'systemd[1]', `Started session-${++session}.scope - Session ${session} of User ${user}.`)));
    let ts = t + r.int(5000, 60_000);
    for (let k = r.int(1, 4); k > 0; k--, ts += r.int(5000, 90_000)) for (const l of sudoLines(b, ts, user)) rows.push(b.row(ts, J, l));
  }
  for (const ts of b.arrivals(0.15)) {
    rows.push(b.row(ts, J, b.journal(ts, 'dockerd[1042]', `time="${new Date(ts).toISOString().slice(0, 19)}.${r.int(100_000_000, 999_999_999)}Z" level=info msg="ignoring event" container=${r.hex(64)} module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"`)));
  }
}

function ci(b: Batch, rows: Row[]): void {
  const { r } = b;
  const runner = r.hex(8);
  let builds = 0;
  let job = r.int(48_000_000, 48_900_000);
  for (const t of b.arrivals(1 / 45)) {
    const [project, repo] = r.pick(PROJECTS);
    const id = job += r.int(1, 40);
    const url = `https://git.corp.example/${repo}.git`;
    const push = (ts: number, msg: string, f: Record<string, string | number>): void => { rows.push(b.row(ts, STREAMS.ci, b.runner(ts, msg, f))); };
    push(t, 'Checking for jobs... received', { job: id, repo_url: url, runner });
    builds = Math.min(4, builds + 1);
    push(t + 3, 'Added job to processing list', { builds, job: id, max_concurrent_builds: 4, project, repo_url: url, time_in_queue_seconds: r.int(0, 40) });
    const dur = b.around(r.pick([90, 150, 240, 600]), 0.35) * 1000;
    let log = 0;
    for (let ts = t + 3000; ts < t + dur; ts += 3000 * r.int(3, 8)) {
      const sent = log + r.int(200, 9000);
      push(ts, 'Appending trace to coordinator...ok', { code: 202, job: id, 'job-log': `0-${sent}`, 'job-status': 'running', runner, 'sent-log': `${log}-${sent - 1}`, status: '202 Accepted', 'update-interval': '3s' });
      log = sent;
    }
    const end = Math.round(t + dur);
    const ok = !r.chance(0.1);
    push(end, ok ? 'Job succeeded' : 'ERROR: Job failed: exit code 1', { duration_s: (dur / 1000).toFixed(6), job: id, project, runner });
    push(end + 50, 'Submitting job to coordinator...ok', { bytesize: log, code: 200, job: id, 'job-status': ok ? 'success' : 'failed', runner, 'update-interval': '0s' });
    builds = Math.max(0, builds - 1);
    push(end + 60, 'Removed job from processing list', { builds, job: id, max_concurrent_builds: 4, project, repo_url: url, time_in_queue_seconds: r.int(0, 40) });
  }
}

export function generateBatch(seed: number, minutes = 75): GeneratedSet {
  const b = world(seed, minutes);
  const ag = agents(b);
  const rows: Row[] = [];
  store(b, rows, ag);
  spark(b, rows);
  kafka(b, rows);
  airflow(b, rows);
  journal(b, rows);
  ci(b, rows);
  injectBatchIncidents(b, ag, rows);
  return labelledSet(rows);
}

export const batchGenerator: Generator = {
  describe: 'a nightly data platform: an object store\'s JSON access log, a Spark streaming driver, a Kafka broker, an Airflow scheduler, a systemd journal and a CI runner, with new and rare errors, unusual values, unseen categories and retry storms',
  generate: (seed) => generateBatch(seed),
};
