// The `batch` generator's two job streams (batch.ts): an Airflow scheduler running five DAGs on
// their schedules (each task's duration drawn around its own median: from a 4 s freshness check to
// a 400 s feature build), and a Spark structured-streaming ingest driver (a micro-batch every
// ~30 s: a 21-task Kafka read stage of ~0.8 s tasks and an 8-task write stage of ~2.5 s tasks,
// plus a compaction job every half hour whose 40 tasks take ~20 s each).
import { STREAMS, type Batch, type Row } from './batch-lines.js';

interface Dag { dag: string; every: number; queue: string; priority: number; tasks: [string, number, string][] }
export const DAGS: Dag[] = [
  { dag: 'etl_orders', every: 5, queue: 'etl', priority: 3, tasks: [['extract', 20, 'PythonOperator'], ['transform', 45, 'PythonOperator'], ['load', 30, 'PostgresOperator']] },
  { dag: 'dq_checks', every: 5, queue: 'default', priority: 1, tasks: [['check_freshness', 4, 'SQLCheckOperator'], ['check_nulls', 12, 'SQLCheckOperator']] },
  { dag: 'etl_clickstream', every: 10, queue: 'etl', priority: 2, tasks: [['wait_for_partition', 90, 'S3KeySensor'], ['spark_submit', 300, 'SparkSubmitOperator'], ['publish', 5, 'PythonOperator']] },
  { dag: 'ml_features', every: 15, queue: 'ml', priority: 2, tasks: [['build_features', 400, 'KubernetesPodOperator'], ['validate', 15, 'PythonOperator']] },
  { dag: 'export_reports', every: 60, queue: 'default', priority: 1, tasks: [['render', 60, 'PythonOperator'], ['upload', 8, 'S3CreateObjectOperator']] },
];
export const QUEUES = ['default', 'etl', 'ml'];
export const NEW_QUEUES = ['gpu', 'adhoc', 'priority'];
/** Tasks that normally take seconds (where an unusual duration is placed). */
export const QUICK_TASKS = ['check_freshness', 'publish', 'upload', 'check_nulls'];

const AF = STREAMS.airflow;
const isoPlus = (ts: number): string => `${new Date(ts).toISOString().slice(0, 19)}+00:00`;
const spaced = (ts: number): string => `${new Date(ts).toISOString().slice(0, 23).replace('T', ' ')}000+00:00`;

function taskRun(b: Batch, rows: Row[], d: Dag, task: [string, number, string], runId: string, queuedAt: number, jobId: number, tryNo: number): { end: number; ok: boolean } {
  const { r } = b;
  const [name, median, op] = task;
  const key = `TaskInstanceKey(dag_id='${d.dag}', task_id='${name}', run_id='${runId}', try_number=${tryNo}, map_index=-1)`;
  const ti = `\t<TaskInstance: ${d.dag}.${name} ${runId} [scheduled]>`;
  const push = (ts: number, where: string, msg: string): void => { rows.push(b.row(ts, AF, b.airflow(ts, where, 'INFO', msg))); };
  push(queuedAt, 'scheduler_job_runner.py:417', '1 tasks up for execution:');
  rows.push(b.row(queuedAt, AF, ti));
  push(queuedAt, 'scheduler_job_runner.py:480', `DAG ${d.dag} has 0/16 running and queued tasks`);
  push(queuedAt, 'scheduler_job_runner.py:598', 'Setting the following tasks to queued state:');
  rows.push(b.row(queuedAt, AF, ti));
  push(queuedAt + 2, 'scheduler_job_runner.py:641', `Sending ${key} to CeleryExecutor with priority ${d.priority} and queue ${d.queue}`);
  push(queuedAt + 3, 'base_executor.py:146', `Adding to queue: ['airflow', 'tasks', 'run', '${d.dag}', '${name}', '${runId}', '--local', '--subdir', 'DAGS_FOLDER/${d.dag}.py']`);
  const start = queuedAt + r.int(800, 4000);
  const end = start + Math.round(b.around(median, 0.25) * 1000);
  const ok = !r.chance(0.02);
  const state = ok ? 'success' : 'up_for_retry';
  const seen = end + r.int(300, 2500);
  push(seen, 'scheduler_job_runner.py:691', `Received executor event with state ${ok ? 'success' : 'failed'} for task instance ${key}`);
  push(seen + 1, 'scheduler_job_runner.py:728', `TaskInstance Finished: dag_id=${d.dag}, task_id=${name}, run_id=${runId}, map_index=-1, run_start_date=${spaced(start)}, run_end_date=${spaced(end)}, run_duration=${((end - start) / 1000).toFixed(6)}, state=${state}, executor_state=${ok ? 'success' : 'failed'}, try_number=${tryNo}, max_tries=2, job_id=${jobId}, pool=default_pool, queue=${d.queue}, priority_weight=${d.priority}, operator=${op}, queued_dttm=${spaced(queuedAt)}, queued_by_job_id=801, pid=${r.int(3000, 99_999)}`);
  return { end: seen, ok };
}

/** Five DAGs on their schedules, the DAG processor's parse loop and the orphan check. */
export function airflow(b: Batch, rows: Row[]): void {
  const { r } = b;
  let jobId = r.int(800_000, 900_000);
  const hashes = DAGS.map(() => r.hex(32));
  DAGS.forEach((d, k) => {
    const everyMs = d.every * 60_000;
    for (let due = Math.ceil(b.t0 / everyMs) * everyMs; due < b.end; due += everyMs) {
      const manual = r.chance(0.03);
      const startAt = manual ? due + r.int(10_000, 200_000) : due + r.int(200, 2500);
      const runId = manual ? `manual__${isoPlus(startAt)}` : `scheduled__${isoPlus(due - everyMs)}`;
      let t = startAt;
      for (const task of d.tasks) {
        let tryNo = 1;
        let res = taskRun(b, rows, d, task, runId, t + r.int(200, 1500), jobId++, tryNo);
        while (!res.ok && tryNo < 3) res = taskRun(b, rows, d, task, runId, res.end + r.int(60_000, 300_000), jobId++, ++tryNo);
        t = res.end;
      }
      const done = t + r.int(300, 1500);
      rows.push(b.row(done, AF, b.airflow(done, 'dagrun.py:823', 'INFO', `Marking run <DagRun ${d.dag} @ ${spaced(due - everyMs)}: ${runId}, state:running, queued_at: ${spaced(startAt - r.int(50, 900))}. externally triggered: ${manual ? 'True' : 'False'}> successful`)));
      rows.push(b.row(done, AF, b.airflow(done, 'dagrun.py:874', 'INFO', `DagRun Finished: dag_id=${d.dag}, execution_date=${spaced(due - everyMs)}, run_id=${runId}, run_start_date=${spaced(startAt)}, run_end_date=${spaced(done)}, run_duration=${((done - startAt) / 1000).toFixed(6)}, state=success, external_trigger=${manual ? 'True' : 'False'}, run_type=${manual ? 'manual' : 'scheduled'}, data_interval_start=${spaced(due - everyMs)}, data_interval_end=${spaced(due)}, dag_hash=${hashes[k]}`)));
    }
    for (let ts = b.t0 + r.int(0, 29_999); ts < b.end; ts += 30_000 + r.int(-400, 400)) {
      const pid = r.int(3000, 99_999);
      rows.push(b.row(ts, AF, b.airflow(ts, 'processor.py:161', 'INFO', `Started process (PID=${pid}) to work on /opt/airflow/dags/${d.dag}.py`)));
      const took = b.around(0.6 + 0.15 * d.tasks.length, 0.3);
      rows.push(b.row(ts + 200, AF, b.airflow(ts + 200, 'processor.py:840', 'INFO', `DAG(s) '${d.dag}' retrieved from /opt/airflow/dags/${d.dag}.py`)));
      rows.push(b.row(ts + Math.round(took * 1000), AF, b.airflow(ts + Math.round(took * 1000), 'processor.py:183', 'INFO', `Processing /opt/airflow/dags/${d.dag}.py took ${took.toFixed(3)} seconds`)));
    }
  });
  for (let ts = b.t0 + r.int(0, 299_999); ts < b.end; ts += 300_000) rows.push(b.row(ts, AF, b.airflow(ts, 'scheduler_job_runner.py:1595', 'INFO', 'Adopting or resetting orphaned tasks for active dag runs')));
}

const SP = STREAMS.spark;
/** Kafka partitions the ingest reads (one read task each). */
export const READ_TASKS = 21;

interface SparkCtx { job: number; stage: number; tid: number; rdd: number; execs: string[] }

function stage(b: Batch, rows: Row[], c: SparkCtx, ts0: number, kind: 'ShuffleMapStage' | 'ResultStage', site: string, n: number, medianMs: number, slots: number): number {
  const { r } = b;
  const st = c.stage++;
  const rdd = (c.rdd += r.int(2, 5));
  const push = (ts: number, level: string, cls: string, msg: string): void => { rows.push(b.row(ts, SP, b.spark(ts, level, cls, msg))); };
  push(ts0, 'INFO', 'DAGScheduler', `Submitting ${kind} ${st} (MapPartitionsRDD[${rdd}] at ${site}), which has no missing parents`);
  push(ts0 + 5, 'INFO', 'DAGScheduler', `Submitting ${n} missing tasks from ${kind} ${st} (MapPartitionsRDD[${rdd}] at ${site}) (first 15 tasks are for partitions Vector(${Array.from({ length: Math.min(15, n) }, (_, i) => i).join(', ')}))`);
  push(ts0 + 6, 'INFO', 'TaskSchedulerImpl', `Adding task set ${st}.0 with ${n} tasks resource profile 0`);
  const free = Array.from({ length: slots }, () => ts0 + 10);
  const done: [number, string][] = [];
  for (let i = 0; i < n; i++) {
    free.sort((a, x) => a - x);
    const start = free[0] + r.int(1, 30);
    const e = r.int(1, c.execs.length);
    const ip = c.execs[e - 1];
    const tid = c.tid++;
    const ms = Math.max(40, Math.round(b.around(medianMs, 0.3)));
    push(start, 'INFO', 'TaskSetManager', `Starting task ${i}.0 in stage ${st}.0 (TID ${tid}) (${ip}, executor ${e}, partition ${i}, ${kind === 'ResultStage' ? 'NODE_LOCAL' : 'PROCESS_LOCAL'}, ${r.int(8000, 12_000)} bytes)`);
    free[0] = start + ms;
    done.push([start + ms, `Finished task ${i}.0 in stage ${st}.0 (TID ${tid}) in ${ms} ms on ${ip} (executor ${e})`]);
    if (r.chance(0.008)) push(start + ms + 5, 'WARN', 'TaskSetManager', `Lost task ${i}.1 in stage ${st}.0 (TID ${c.tid++}) (${r.pick(c.execs)} executor ${r.int(1, c.execs.length)}): TaskKilled (another attempt succeeded)`);
  }
  done.sort((a, x) => a[0] - x[0]);
  done.forEach(([ts, msg], k) => push(ts, 'INFO', 'TaskSetManager', `${msg} (${k + 1}/${n})`));
  const last = done[done.length - 1][0] + r.int(2, 20);
  push(last, 'INFO', 'TaskSchedulerImpl', `Removed TaskSet ${st}.0, whose tasks have all completed, from pool `);
  push(last + 1, 'INFO', 'DAGScheduler', `${kind} ${st} (${site}) finished in ${((last - ts0) / 1000).toFixed(3)} s`);
  return last + 2;
}

function microBatch(b: Batch, rows: Row[], c: SparkCtx, ts: number, batchId: number): void {
  const { r } = b;
  const push = (t: number, cls: string, msg: string): void => { rows.push(b.row(t, SP, b.spark(t, 'INFO', cls, msg))); };
  const tmp = `s3a://datalake/checkpoints/ingest/offsets/.${batchId}.${b.uuid()}.tmp`;
  push(ts, 'CheckpointFileManager', `Writing atomically to s3a://datalake/checkpoints/ingest/offsets/${batchId} using temp file ${tmp}`);
  push(ts + r.int(40, 200), 'CheckpointFileManager', `Renamed temp file ${tmp} to s3a://datalake/checkpoints/ingest/offsets/${batchId}`);
  push(ts + 210, 'MicroBatchExecution', `Committed offsets for batch ${batchId}. Metadata OffsetSeqMetadata(0,${ts - r.int(5, 80)},HashMap(spark.sql.shuffle.partitions -> 8, spark.sql.streaming.stateStore.providerClass -> org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider))`);
  const job = c.job++;
  push(ts + 260, 'SparkContext', 'Starting job: start at IngestJob.scala:61');
  push(ts + 262, 'DAGScheduler', `Got job ${job} (start at IngestJob.scala:61) with 8 output partitions`);
  const mid = stage(b, rows, c, ts + 270, 'ShuffleMapStage', 'start at IngestJob.scala:61', READ_TASKS, 800, 16);
  const end = stage(b, rows, c, mid + 5, 'ResultStage', 'start at IngestJob.scala:61', 8, 2500, 8);
  push(end + r.int(100, 900), 'FileFormatWriter', `Write Job ${b.uuid()} committed. Elapsed time: ${r.int(300, 1800)} ms.`);
  push(end + 950, 'DAGScheduler', `Job ${job} finished: start at IngestJob.scala:61, took ${((end + 950 - ts - 260) / 1000).toFixed(6)} s`);
}

/** The ingest driver: micro-batches every ~30 s, a compaction job every half hour, one scale-up. */
export function spark(b: Batch, rows: Row[]): void {
  const { r } = b;
  const c: SparkCtx = { job: r.int(2000, 9000), stage: 0, tid: 0, rdd: r.int(10_000, 90_000), execs: Array.from({ length: 8 }, () => `${b.ip()}`) };
  c.stage = c.job * 2 + r.int(0, 40);
  c.tid = c.stage * 20 + r.int(0, 999);
  let batchId = r.int(20_000, 90_000);
  const scaleAt = b.t0 + r.int(15, 60) * 60_000;
  let compactAt = b.t0 + r.int(2, 12) * 60_000;
  for (let ts = b.t0 + r.int(0, 29_999); ts < b.end; ts += 30_000 + r.int(-200, 400)) {
    if (ts >= scaleAt && c.execs.length === 8) {
      rows.push(b.row(ts, SP, b.spark(ts, 'INFO', 'ExecutorAllocationManager', 'Requesting 2 new executors because tasks are backlogged (new desired total will be 10 for resource profile id: 0)')));
      for (const id of [9, 10]) {
        const ip = b.ip();
        c.execs.push(ip);
        const t = ts + r.int(5000, 15_000);
        rows.push(b.row(t, SP, b.spark(t, 'INFO', 'KubernetesClusterSchedulerBackend$KubernetesDriverEndpoint', `Registered executor NettyRpcEndpointRef(spark-client://Executor) (${ip}:${r.int(40_000, 60_000)}) with ID ${id},  ResourceProfileId 0`)));
        rows.push(b.row(t + 40, SP, b.spark(t + 40, 'INFO', 'BlockManagerMasterEndpoint', `Registering block manager ${ip}:${r.int(30_000, 40_000)} with 2.1 GiB RAM, BlockManagerId(${id}, ${ip}, ${r.int(30_000, 40_000)}, None)`)));
      }
    }
    microBatch(b, rows, c, ts, batchId++);
    if (ts >= compactAt) {
      const job = c.job++;
      const t = ts + r.int(1000, 5000);
      rows.push(b.row(t, SP, b.spark(t, 'INFO', 'SparkContext', 'Starting job: compact at CompactJob.scala:40')));
      const end = stage(b, rows, c, t + 20, 'ResultStage', 'compact at CompactJob.scala:40', 40, 20_000, 16);
      rows.push(b.row(end, SP, b.spark(end, 'INFO', 'DAGScheduler', `Job ${job} finished: compact at CompactJob.scala:40, took ${((end - t) / 1000).toFixed(6)} s`)));
      compactAt += 30 * 60_000;
    }
  }
}
