// Detect role (issue 15): the partitions this process holds a lease on (lease.ts, detect-role.ts),
// each scored in JetStream order by one runner:
//
//   lease acquired ─► PartitionRunner(p): offset S (offsets.ts) ─► reader of dw.events.<p> from
//     S + 1 (reader.ts: an ordered consumer; when its CREATE fails, as for minutes after a JetStream
//     node dies, STREAM.MSG.GET for a while) ─► per message (in sequence order): events grouped by stream, each stream's
//     detector state (memory, else detector_states) ─► piscina task (workers/score.ts) ─► state kept
//     ─► findings ─► anomaly rows with ids of (tenant, stream, sequence, index, detector) ─► one
//        message on dw.anomalies.<p>, msg id a:<sequence>:<n> (stored by the store role: store.ts)
//     every CHECKPOINT_MS or CHECKPOINT_MESSAGES: await the anomaly publishes, then save the changed
//     states with the sequence they cover in one transaction (offsets.ts)
//   memory bound (stream-cache.ts): every stream used is touched in the process's LRU; beyond
//     MAX_STREAMS (or a tenant beyond half of it) the least recently used are evicted: their
//     runner checkpoints (states + sequence), then drops them; used again, they load from the checkpoint
//   lease lost ─► stop at once; released (balance, close) ─► checkpoint, then stop
//   an error (NATS, PostgreSQL, a publish) ─► the runner starts again from its last checkpoint,
//     states reloaded: what it scores again gives the same ids and message ids, so nothing is stored twice
//   watchdog (timer, every CHECKPOINT_MS): nothing delivered for STALL_MS while the subject has a
//     message past the last one scored ─► the runner starts again (a new reader)
//   idle ticks (ticks.ts): every STREAM_IDLE_TICK_MS the runner publishes a tick message for its quiet
//     logs/traces streams on dw.events.<p>, right after the last sequence it scored; scored in order
//     like the events ({ts, idle: true}), so a replay from a checkpoint sees the same ticks
import type { Piscina } from 'piscina';
import { scoreMetrics } from '../../src/core/telemetry/index.js';
import type { ScoreResult, ScoreTask } from '../../workers/types.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';
import type { StateRow } from '../sinks/postgres/state.js';
import { anomalyRowOf } from '../transforms/anomaly-row.js';
import { loadIncidents, saveIncidents, type IncidentMap } from '../transforms/incidents.js';
import { encodeTask, sessionFieldOf } from '../transforms/score-task.js';
import { pickTicks, type TickEntry } from '../transforms/idle-ticks.js';
import type { EventRecord } from '../types.js';
import type { DetectRoleDeps, DetectStats, RunnerState } from './detect-role.js';
import { checkpoint, loadOffset } from './offsets.js';
import { anomalyId, decodeEvents, EVENTS_STREAM, eventsSubject } from './partition.js';
import { publishFindings, TENANT_HEADER } from './publish.js';
import { openReader, type PartitionMsg, type Reader } from './reader.js';
import type { StreamCache } from './stream-cache.js';
import { decodeTicks, isTickMessage, publishTicks, RECALL_MS, recallQuiet, sweepEvery, tickBatch, type Recalled } from './ticks.js';

const CHECKPOINT_MS = 1_000;
const CHECKPOINT_MESSAGES = 2_000;
/** No message for this long while the subject has newer ones: the consumer is replaced. */
const STALL_MS = 5_000;

/** A stream's state; as a TickEntry: its latest event time, and the JetStream time (ms) of the message that carried it (seenAt). */
interface StreamState extends TickEntry {
  tenantId: string; stream: string; streamType: EventRecord['streamType']; state: Uint8Array | null; session: Uint8Array | null; dirty: boolean;
  /** Open incidents (transforms/incidents.ts), saved with the state: a new one takes its first finding's id, so a replay from the checkpoint folds the same way. */
  incidents: IncidentMap;
}

/** A recalled stream's tick fields (ticks.ts), for its state once loaded. */
const pickTickFields = (e: Recalled | undefined): Partial<TickEntry> => (e === undefined ? {} : { lastTs: e.lastTs, seenAt: e.seenAt, tickedAt: e.tickedAt });

export class PartitionRunner {
  readonly #p: number;
  readonly #d: DetectRoleDeps;
  readonly #pool: Piscina;
  readonly #stats: DetectStats;
  readonly #cache: StreamCache;
  /** Streams the cache evicted, dropped at the runner's next turn. */
  #evictions: string[] = [];
  #streams = new Map<string, StreamState>();
  /** Quiet streams read from the log before the checkpoint (ticks.ts recallQuiet), until their state is loaded. */
  #recalled = new Map<string, Recalled>();
  #iter: Reader | undefined;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #pending: Promise<unknown>[] = [];
  #lastSeq = 0;
  #savedSeq = 0;
  #sinceCheckpoint = 0;
  #lastCheckpointAt = Date.now();
  #lock: Promise<void> = Promise.resolve();
  #lastMessageAt = Date.now();
  #failed: Error | undefined;
  #publishError: Error | undefined;
  /** The last message delivered said more were pending: no idle ticks until the runner catches up. */
  #behind = true;
  /** What the run awaits, and what runs in the runner's turn (#exclusive), since when (diagnostics). */
  #phase = { name: 'new', at: Date.now() };
  #task: { name: string; at: number } | undefined;

  constructor(p: number, d: DetectRoleDeps, pool: Piscina, stats: DetectStats, cache: StreamCache) {
    this.#p = p;
    this.#d = d;
    this.#pool = pool;
    this.#stats = stats;
    this.#cache = cache;
  }

  /** The cache evicted these streams (keys of #streams): checkpoint, then drop them, at the runner's next turn. */
  evict(keys: string[]): void {
    if (this.#evictions.length === 0) {
      this.#exclusive(() => this.#evict()).catch((err: unknown) => {
        this.#failed = err instanceof Error ? err : new Error(String(err));
        this.#iter?.stop();
      });
    }
    this.#evictions.push(...keys);
  }

  async #evict(): Promise<void> {
    this.#doing('evict');
    const keys = this.#evictions;
    this.#evictions = [];
    const victims = keys.flatMap((k) => {
      const s = this.#streams.get(k);
      // Used again since it was evicted: kept.
      return s === undefined || this.#cache.has(this.#p, s.tenantId, k) ? [] : [[k, s] as const];
    });
    if (victims.length === 0) return;
    // Its state must be in detector_states with the sequence it covers before memory lets it go.
    if (victims.some(([, s]) => s.dirty && s.state !== null)) await this.#checkpoint();
    for (const [k] of victims) this.#streams.delete(k);
    this.#stats.evicted += victims.length;
  }

  state(): RunnerState {
    const now = Date.now();
    return {
      partition: this.#p, phase: this.#phase.name, phaseMs: now - this.#phase.at, task: this.#task?.name, taskMs: this.#task === undefined ? 0 : now - this.#task.at,
      lastSeq: this.#lastSeq, savedSeq: this.#savedSeq, quietMs: now - this.#lastMessageAt,
    };
  }

  #at(phase: string): void { this.#phase = { name: phase, at: Date.now() }; }

  #doing(task: string): void { this.#task = { name: task, at: Date.now() }; }

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopping) {
        try {
          await this.#run();
        } catch (err) {
          if (this.#stopping) break;
          this.#stats.restarts++;
          this.#d.log.warn({ err, partition: this.#p }, 'ClusterDetectRunnerError: the partition starts again from its last checkpoint');
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    })();
  }

  async stop(save: boolean): Promise<void> {
    this.#stopping = true;
    this.#iter?.stop();
    await this.#loop;
    if (save && this.#lastSeq > this.#savedSeq) await this.#checkpoint().catch((err: unknown) => this.#d.log.warn({ err, partition: this.#p }, 'ClusterDetectCheckpointError'));
    this.#cache.dropPartition(this.#p);
  }

  async #run(): Promise<void> {
    // From the last checkpoint, with the states saved with it (memory dropped: a restart replays).
    this.#streams = new Map();
    this.#cache.dropPartition(this.#p);
    this.#evictions = [];
    this.#pending = [];
    this.#failed = undefined;
    this.#publishError = undefined;
    this.#at('loadOffset');
    const from = await loadOffset(this.#d.pool, this.#p);
    this.#lastSeq = this.#savedSeq = from;
    const o = this.#d.idleTicks;
    this.#at('reader');
    const it = await openReader(this.#d.nats, this.#p, from + 1, (err) => this.#d.log.warn({ err, partition: this.#p },
      'ClusterDetectReaderFallback: no consumer could be created (a JetStream node lost?); the partition is read message by message for a while'));
    this.#iter = it;
    if (this.#stopping) it.stop();
    // Without a consumer (the get reader), no recall either: it needs one (its streams tick once they have new events).
    this.#at('recallQuiet');
    this.#recalled = o === undefined || o.everyMs === 0 || from === 0 || it.kind === 'get' ? new Map<string, Recalled>()
      : await recallQuiet(this.#d.nats, this.#p, from, Date.now() - Math.min(o.horizonMs, RECALL_MS)).catch((err: unknown) => {
        this.#d.log.warn({ err, partition: this.#p }, 'ClusterIdleTickRecallError: the partition\'s quiet streams before the checkpoint were not read; they tick once they have new events');
        return new Map<string, Recalled>();
      });
    await this.#read(it);
  }

  async #read(it: Reader): Promise<void> {
    // A quiet partition is checkpointed by the timer, in turn with the messages (one at a time).
    this.#lastMessageAt = Date.now();
    const timer = setInterval(() => {
      this.#exclusive(async () => {
        this.#doing('timer checkpoint');
        if (this.#due()) await this.#checkpoint();
        this.#doing('watchdog');
        await this.#checkStalled();
      }).catch((err: unknown) => {
        this.#failed = err instanceof Error ? err : new Error(`checkpoint failed: ${JSON.stringify(err)}`);
        it.stop();
      });
    }, CHECKPOINT_MS);
    this.#behind = true;
    // A tick that fails to publish is tried at a later sweep (ticks are not events: nothing is lost).
    const ticker = sweepEvery(this.#d.idleTicks?.everyMs ?? 0, (fn) => this.#exclusive(fn), () => this.#tick(),
      (err) => this.#d.log.warn({ err, partition: this.#p }, 'ClusterIdleTickError: the idle ticks were not published; the next sweep tries again'));
    try {
      this.#at('messages');
      for await (const m of it.messages()) {
        this.#at('message');
        this.#lastMessageAt = Date.now();
        this.#behind = m.pending;
        if (this.#stopping) break;
        await this.#exclusive(async () => {
          this.#doing('score');
          await this.#score(m);
          this.#doing('checkpoint');
          if (this.#due()) await this.#checkpoint();
        });
        this.#at('messages');
      }
      this.#at('end');
      await this.#lock;
    } finally {
      clearInterval(timer);
      clearInterval(ticker);
    }
    const failed = this.#failed;
    if (failed !== undefined) throw failed;
  }

  /**
   * The consumer's watchdog: an ordered consumer whose node died can wait without delivering. When
   * nothing came for STALL_MS and the partition's subject has a message past the last one scored,
   * the runner starts again (from its checkpoint, just saved) with a new consumer.
   */
  async #checkStalled(): Promise<void> {
    if (Date.now() - this.#lastMessageAt < STALL_MS) return;
    this.#lastMessageAt = Date.now();
    const last = await this.#d.nats.jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: eventsSubject(this.#p) }).catch(() => null);
    if (last !== null && last.seq > this.#lastSeq) {
      this.#d.log.warn({ partition: this.#p, scored: this.#lastSeq, last: last.seq }, 'ClusterDetectConsumerStalled: a new consumer takes over');
      throw new Error(`partition ${this.#p}: the consumer stalled at ${this.#lastSeq} (last ${last.seq})`);
    }
  }

  /**
   * One sweep of idle ticks (ticks.ts): the quiet logs/traces streams due for one, in a message on
   * the partition's subject after the last sequence scored. None while the consumer is behind.
   */
  async #tick(): Promise<void> {
    this.#doing('tick');
    const o = this.#d.idleTicks;
    if (o === undefined || this.#stopping) return;
    // Behind, or nothing delivered since the start: caught up when the subject's last message is scored.
    if (this.#behind) this.#behind = ((await this.#d.nats.jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: eventsSubject(this.#p) }).catch(() => null))?.seq ?? Infinity) > this.#lastSeq;
    if (this.#behind) return;
    const now = Date.now();
    for (const [k, e] of this.#recalled) if (now - e.seenAt > o.horizonMs) this.#recalled.delete(k);
    const batch = tickBatch(pickTicks([...this.#recalled.values(), ...this.#streams.values()], now, o));
    if (batch.length === 0) return;
    const sent = await publishTicks(this.#d.nats, this.#p, this.#lastSeq, batch.map((b) => b.tick));
    // Refused: the subject has a message past the last one scored (stored since the last delivery),
    // decided again after it. Duplicate: the tick message of this sequence is in the log already.
    if (sent === 'refused') this.#stats.ticksRefused++;
    if (sent !== 'published') return;
    for (const { entry } of batch) entry.tickedAt = now;
    this.#stats.ticks += batch.length;
    scoreMetrics.idleTicks.inc(batch.length);
  }

  /** Runs fn after whatever runs now (scoring a message, a checkpoint). */
  #exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.#lock.then(fn).finally(() => { this.#task = undefined; });
    this.#lock = run.catch(() => {});
    return run;
  }

  #due(): boolean {
    return this.#lastSeq > this.#savedSeq && (this.#sinceCheckpoint >= CHECKPOINT_MESSAGES || Date.now() - this.#lastCheckpointAt >= CHECKPOINT_MS);
  }

  async #checkpoint(): Promise<void> {
    this.#doing(`${this.#task?.name ?? 'checkpoint'}: publishes`);
    await Promise.all(this.#pending);
    this.#pending = [];
    const failed = this.#publishError;
    if (failed !== undefined) throw failed;
    const seq = this.#lastSeq;
    const rows: StateRow[] = [];
    const dirty: StreamState[] = [];
    for (const s of this.#streams.values()) {
      if (!s.dirty || s.state === null) continue;
      rows.push({ tenantId: s.tenantId, streamType: s.streamType, stream: s.stream, state: s.state.slice(), sessionState: s.session?.slice() ?? null, incidents: s.incidents.size > 0 ? saveIncidents(s.incidents) : null });
      dirty.push(s);
    }
    this.#doing(`${this.#task?.name.replace(/: publishes$/, '') ?? 'checkpoint'}: save`);
    const ok = await checkpoint(this.#d.pool, this.#d.states, this.#p, seq, rows);
    if (!ok) {
      throw new Error(`partition ${this.#p}: a checkpoint past sequence ${seq} is stored (another holder)`);
    }
    for (const s of dirty) s.dirty = false;
    this.#savedSeq = seq;
    this.#sinceCheckpoint = 0;
    this.#lastCheckpointAt = Date.now();
    this.#stats.checkpoints++;
  }

  async #score(m: PartitionMsg): Promise<void> {
    // A tick message (ticks.ts) names each record's tenant; an events message has one, in its header.
    const tick = isTickMessage(m.headers);
    const header = m.headers?.get(TENANT_HEADER) ?? '';
    const ticks = tick ? decodeTicks(m.data) : [];
    const records = tick ? ticks.map((t) => t.record) : decodeEvents(m.data);
    const groups = new Map<string, { tenantId: string; key: string; idx: number[] }>();
    for (let i = 0; i < records.length; i++) {
      const tenantId = tick ? ticks[i].tenantId : header;
      const key = records[i].streamType + '\u0000' + records[i].stream;
      const g = groups.get(tenantId + '\u0000' + key);
      if (g === undefined) groups.set(tenantId + '\u0000' + key, { tenantId, key, idx: [i] });
      else g.idx.push(i);
    }
    const at = m.at;
    const rows = new Map<string, AnomalyRow[]>();
    await Promise.all([...groups.values()].map(async ({ tenantId, key, idx }) => {
      const found = await this.#scoreStream(tenantId, key, records, idx, m.seq, at);
      if (found.length > 0) rows.set(tenantId, [...(rows.get(tenantId) ?? []), ...found]);
    }));
    this.#stats.messages++;
    if (!tick) {
      this.#stats.scored += records.length;
      scoreMetrics.scoredEvents.inc(records.length);
    }
    let n = 0;
    for (const [tenantId, list] of [...rows].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      // A failed publish is held (never an unhandled rejection) and fails the next checkpoint: the runner starts again from the last one.
      const sent = publishFindings(this.#d.nats, this.#p, tenantId, list, m.seq, n, (err) => { this.#publishError ??= err; });
      this.#pending.push(...sent.acks);
      this.#stats.anomalies += list.length;
      n = sent.next;
    }
    this.#lastSeq = m.seq;
    this.#sinceCheckpoint++;
  }

  async #stream(tenantId: string, key: string, r: EventRecord): Promise<StreamState> {
    const k = tenantId + '\u0000' + key;
    let s = this.#streams.get(k);
    if (s === undefined) {
      const saved = await this.#d.states.load({ tenantId, streamType: r.streamType, stream: r.stream });
      if (saved?.state != null) this.#stats.loaded++;
      s = {
        tenantId, stream: r.stream, streamType: r.streamType, state: saved?.state ?? null, session: saved?.sessionState ?? null, dirty: false, incidents: loadIncidents(saved?.incidents),
        lastTs: -Infinity, seenAt: 0, tickedAt: 0, ...pickTickFields(this.#recalled.get(k)),
      };
      this.#recalled.delete(k);
    } else {
      // To the recent end: the idle ticks' sweep (pickTicks) takes the least recently used first.
      this.#streams.delete(k);
    }
    this.#streams.set(k, s);
    this.#cache.touch(this.#p, tenantId, k);
    return s;
  }

  /** `at`: the message's JetStream time (ms), when the stream was last seen for its idle ticks. */
  async #scoreStream(tenantId: string, key: string, records: EventRecord[], idx: number[], seq: number, at: number): Promise<AnomalyRow[]> {
    const first = records[idx[0]];
    const s = await this.#stream(tenantId, key, first);
    const profile = await this.#d.settings.get(tenantId, first.stream);
    if (first.idle === true) s.tickedAt = at;
    else {
      for (const i of idx) if (records[i].ts > s.lastTs) s.lastTs = records[i].ts;
      s.seenAt = at;
      s.tickedAt = 0;
    }
    // The events as the single-process scorer encodes them (encodeTask: metadata too, for the field and session detectors).
    const { events, columns, buffers } = encodeTask(idx.map((i) => records[i]));
    const task: ScoreTask = { stream: s.stream, streamType: s.streamType, state: s.state, events, threshold: profile.threshold };
    if (columns !== undefined) task.columns = columns;
    if (s.session !== null) task.sessionState = s.session;
    const sessionField = sessionFieldOf(s.streamType, profile);
    if (sessionField !== undefined) task.sessionField = sessionField;
    const res = await this.#pool.run(task, { transferList: buffers }) as ScoreResult;
    if (!res.ok) {
      this.#d.log.warn({ partition: this.#p, stream: s.stream, code: res.code, message: res.message }, 'ClusterDetectTaskRefused: the stream starts fresh');
      s.state = null;
      s.session = null;
      return [];
    }
    s.state = res.state;
    s.session = res.sessionState ?? null;
    s.dirty = true;
    const now = Date.now();
    const used = new Set<string>();
    const rows: AnomalyRow[] = [];
    for (const f of res.findings) {
      const i = idx[f.index];
      const r = records[i];
      if (r === undefined) continue;
      let id = anomalyId(tenantId, s.stream, seq, i, f.detector);
      for (let k = 1; used.has(id); k++) id = anomalyId(tenantId, s.stream, seq, i, `${f.detector}#${k}`);
      used.add(id);
      rows.push(anomalyRowOf({
        id, tenantId, stream: s.stream, streamType: s.streamType, finding: f, event: r, profile, incidents: s.incidents, newIncidentId: () => id, detectedAt: now,
      }));
    }
    return rows;
  }
}
