// The engine's life cycle, apart from its wiring (engine.ts): listening, the work in flight
// (close() waits for it; its time from receipt to answer is the latency histogram), and the
// shutdown as one ordered list of close steps, each run even when one before it failed:
//
//   refuse new work (DW_ERR_SHUTTING_DOWN, listen socket closed) ─► finish requests in flight (grace
//   period) ─► drain the spool ─► flush the events sink ─► drain the scorer ─► flush the anomalies
//   sink ─► stop retention ─► close the usage store ─► close connections (WebSocket 1001, idle HTTP)
import uWS from 'uWebSockets.js';
import type { Config } from '../src/core/config.js';
import type { Logger } from '../src/core/log.js';
import { EngineCloseStepError, EngineShutdownGraceExpired, ingestMetrics } from '../src/core/telemetry/index.js';
import type { UsageStore } from '../src/core/usage.js';
import type { CopySink, SinkWrite } from './sinks/postgres/service.js';
import type { SpooledSink } from './sinks/spool/service.js';
import type { Scorer } from './transforms/score.js';
import type { EventRecord } from './types.js';

/** At shutdown, scoring the queue gets at least this long even when the grace period is used up. */
export const SCORE_DRAIN_MIN_MS = 5_000;

export type CloseStep = readonly [name: string, run: () => unknown];

/** Whether the engine still takes work, and until when close() lets work in flight finish. */
export interface Door { closing: boolean; graceEnd: number; listenSocket: uWS.us_listen_socket | undefined }

/** What close() stops. */
export interface Running {
  log: Logger; graceMs: number; inFlight: Set<Promise<unknown>>;
  spool: SpooledSink<SinkWrite, EventRecord[]> | undefined; events: CopySink; scorer: Scorer; anomalies: CopySink;
  retentionRuns: { stop(): Promise<void> };
  /** The usage store when the engine opened it (else its owner closes it). */
  usage: UsageStore | undefined;
  app: uWS.TemplatedApp; ws: { closeAll(): void }; stopSpoolMetrics: () => void;
}

/** The shutdown, as one ordered list (see the top of this file); a failed listen() runs it too. */
export function closeSteps(door: Door, r: Running): readonly CloseStep[] {
  return [
    ['refuse new work', () => {
      door.closing = true;
      door.graceEnd = Date.now() + r.graceMs;
      if (door.listenSocket !== undefined) uWS.us_listen_socket_close(door.listenSocket);
    }],
    // Requests whose headers arrived before close() are finished (a body still streaming in gets
    // until the grace period ends; after that it is refused, never half-stored).
    ['finish requests in flight', () => waitForInFlight(r.inFlight, door.graceEnd, r.log)],
    // While PostgreSQL takes the replay, the spool gets the rest of the grace period to drain.
    ['drain the spool', () => r.spool?.close(Math.max(1_000, door.graceEnd - Date.now()))],
    ['flush the events sink', () => r.events.close()],
    // Scoring what is queued gets what is left of the grace period, at least SCORE_DRAIN_MIN_MS.
    ['drain the scorer', () => r.scorer.close(Math.max(SCORE_DRAIN_MIN_MS, door.graceEnd - Date.now()))],
    ['flush the anomalies sink', () => r.anomalies.close()],
    ['stop retention', () => r.retentionRuns.stop()],
    ['close the usage store', () => r.usage?.close()],
    ['close connections', () => {
      r.stopSpoolMetrics();
      r.ws.closeAll();
      // Idle keep-alive HTTP connections would keep the process alive until the client drops
      // them; App.close() (in this uWS build, missing from its typings) closes them.
      (r.app as unknown as { close?: () => void }).close?.();
    }],
  ];
}

/** Runs the steps in order; a failed step is logged and the next ones run; the first failure is rethrown at the end. */
export async function runCloseSteps(steps: readonly CloseStep[], log: Logger): Promise<void> {
  let first: Error | undefined;
  for (const [step, run] of steps) {
    try {
      await run();
    } catch (err) {
      EngineCloseStepError.emit(log, { err, step });
      first ??= err instanceof Error ? err : new Error(String(err));
    }
  }
  if (first !== undefined) throw first;
}

/** SourceContext.track: close() waits for the work; its time from receipt to answer goes to the latency histogram. */
export function track<T>(inFlight: Set<Promise<unknown>>, p: Promise<T>): Promise<T> {
  const t0 = performance.now();
  inFlight.add(p);
  const done = (): void => {
    inFlight.delete(p);
    ingestMetrics.requestSeconds.observe((performance.now() - t0) / 1000);
  };
  void p.then(done, done);
  return p;
}

/** Waits for the work in flight until it is done or the grace period ends. */
export async function waitForInFlight(inFlight: Set<Promise<unknown>>, graceEnd: number, log: Logger): Promise<void> {
  while (inFlight.size > 0 && Date.now() < graceEnd) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...inFlight]),
      new Promise((r) => { timer = setTimeout(r, Math.max(0, graceEnd - Date.now())); }),
    ]);
    clearTimeout(timer);
  }
  if (inFlight.size > 0) EngineShutdownGraceExpired.emit(log, { requests: inFlight.size });
}

export function listen(app: uWS.TemplatedApp, config: Readonly<Config>): Promise<uWS.us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(config.host, config.enginePort, (s) => {
      if (s === false) reject(new Error(`engine: cannot listen on ${config.host}:${config.enginePort}`));
      else resolve(s);
    });
  });
}
