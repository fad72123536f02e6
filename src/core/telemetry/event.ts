// One emit() per typed telemetry event: it counts (a Prometheus counter child) and logs, the
// log rate-limited, in one call. Names are <Namespace><Noun><Verb>[Error] (STYLE.md §11, §17).
//
//   ev.emit(log, fields, n) ─► counter += n ─► gate open? (once per `everyMs`) ─► log[level]
//                                                 └─ closed: counted in `suppressed`, shown on the next line
//
// On the hot path call emit(log) without fields (or count(n)): an increment and a time check,
// no allocation. Fields are only built by callers on rare paths (refusals, errors).
import type { LogFn } from 'pino';
import type { CounterChild } from './metrics.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

/** A pino logger, or fastify's request logger. */
export interface EventLogger {
  debug: LogFn; info: LogFn; warn: LogFn; error: LogFn;
  isLevelEnabled?(level: string): boolean;
}

const NAME_RE = /^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+$/;

/** A rate limit on one event's log lines: one gate per event, or one per instance (gate()). */
export class LogGate {
  last = -Infinity;
  suppressed = 0;
}

export interface EventSpec {
  /** <Namespace><Noun><Verb>[Error], e.g. SpoolReplayStarted, IngestQuotaReadError. */
  readonly name: string;
  readonly level: Level;
  /** What happened and what follows, in words (after `<name>: ` in the log line). */
  readonly message: string;
  /** At most one log line per this many ms (0: every time). Counting is never limited. */
  readonly everyMs?: number;
  /** The counter the event adds to (its count `n`, default 1); none: log only. */
  readonly counter?: CounterChild;
  /** true for events that drop data on purpose (shown in the log as `intentional`). */
  readonly intentional?: boolean;
}

export class TelemetryEvent {
  readonly name: string;
  readonly level: Level;
  readonly message: string;
  readonly everyMs: number;
  readonly #counter: CounterChild | undefined;
  readonly #msg: string;
  readonly #intentional: boolean;
  readonly #gate = new LogGate();
  #count = 0;

  constructor(spec: EventSpec) {
    if (!NAME_RE.test(spec.name)) throw new TypeError(`event name ${spec.name} must be <Namespace><Noun><Verb>[Error] in PascalCase`);
    this.name = spec.name;
    this.level = spec.level;
    this.message = spec.message;
    this.everyMs = spec.everyMs ?? 0;
    this.#counter = spec.counter;
    this.#msg = `${spec.name}: ${spec.message}`;
    this.#intentional = spec.intentional ?? false;
  }

  /** How often this event was emitted in this process (its counter may be shared with others). */
  get emitted(): number { return this.#count; }

  /** A gate of its own (per instance: one component's lines do not silence another's). */
  gate(): LogGate { return new LogGate(); }

  /** Counts n without logging. */
  add(n = 1): void {
    this.#count += n;
    this.#counter?.inc(n);
  }

  /** Counts n and logs (at most once per everyMs through `gate`), with `fields` on the line. */
  emit(log: EventLogger, fields?: Record<string, unknown>, n = 1, gate: LogGate = this.#gate): void {
    this.#count += n;
    this.#counter?.inc(n);
    if (log.isLevelEnabled?.(this.level) === false) return;
    if (this.everyMs > 0) {
      const now = Date.now();
      if (now - gate.last < this.everyMs) {
        gate.suppressed++;
        return;
      }
      gate.last = now;
    }
    const line: Record<string, unknown> = { event: this.name, ...fields };
    if (this.#intentional) line.intentional = true;
    if (gate.suppressed > 0) {
      line.suppressed = gate.suppressed;
      gate.suppressed = 0;
    }
    log[this.level](line, this.#msg);
  }
}

export const defineEvent = (spec: EventSpec): TelemetryEvent => new TelemetryEvent(spec);
