// Prometheus metrics: one prom-client Registry per process, so that the engine, the control
// API and the edge proxy of one process (`driftwatch up`) answer the same set at /metrics.
//
//   emit()/inc() on the hot path ─► a plain number in a Float64Array slot (no allocation)
//   GET /metrics ─► registry.metrics() ─► each metric's get() reads its slots ─► text format
//
// prom-client's own Counter.inc() allocates per call (a labels object, a result object); these
// metric classes keep their values in typed arrays, with label sets fixed when a child is
// first asked for (children are resolved once at setup, or looked up in a Map by a code: no
// allocation per event), and hand prom-client plain `{name, help, type, values}` at scrape time.
// Labels have few values (error codes, source, sink names): never tenant ids or stream names.
import { collectDefaultMetrics, Registry } from 'prom-client';

/** The process's registry (default process metrics included: CPU, memory, event loop lag, GC). */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'driftwatch_' });

export const METRICS_CONTENT_TYPE = registry.contentType;

const NAME_RE = /^driftwatch_[a-z][a-z0-9_]*$/;

type Labels = Readonly<Record<string, string>>;
interface MetricValue { value: number; labels: Labels; metricName?: string }

function checkName(name: string, suffix?: string): void {
  if (!NAME_RE.test(name)) throw new TypeError(`metric name ${name} must match ${String(NAME_RE)}`);
  if (suffix !== undefined && !name.endsWith(suffix)) throw new TypeError(`metric name ${name} must end with ${suffix}`);
}

/** One labelled value of a counter: `inc(n)` adds to a number field (no allocation). */
export class CounterChild {
  value = 0;
  readonly labels: Labels;
  constructor(labels: Labels) { this.labels = labels; }
  inc(n = 1): void { this.value += n; }
}

/** A monotonic counter (`driftwatch_*_total`) with a fixed set of label names. */
export class Counter {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly string[];
  readonly #children = new Map<string, CounterChild>();
  readonly #unlabelled: CounterChild | undefined;

  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    checkName(name, '_total');
    this.name = name;
    this.help = help;
    this.#labelNames = labelNames;
    if (labelNames.length === 0) this.#unlabelled = this.child();
    registry.registerMetric(this as never);
  }

  /** The child for these label values (in labelNames order); resolve once at setup, or per code from a Map. */
  child(...values: string[]): CounterChild {
    if (values.length !== this.#labelNames.length) throw new TypeError(`${this.name} takes labels ${this.#labelNames.join(', ')}`);
    const key = values.length === 1 ? values[0] : values.join('\u0000');
    let c = this.#children.get(key);
    if (c === undefined) {
      c = new CounterChild(Object.freeze(Object.fromEntries(this.#labelNames.map((n, j) => [n, values[j]]))));
      this.#children.set(key, c);
    }
    return c;
  }

  /** Adds n to the unlabelled counter (a counter without label names). */
  inc(n = 1): void {
    if (this.#unlabelled === undefined) throw new TypeError(`${this.name} has labels: use child()`);
    this.#unlabelled.value += n;
  }

  /** The current value of one label set (0 if never counted). */
  value(...values: string[]): number {
    return this.#children.get(values.length === 1 ? values[0] : values.join('\u0000'))?.value ?? 0;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const c of this.#children.values()) values.push({ value: c.value, labels: c.labels });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/**
 * A gauge or counter read at scrape time from the components that registered a reader (the
 * sum over them: two engines in one process report their spools together). For counters a
 * component already keeps (the spool's), so that its code need not change; a counter read this
 * way restarts when its component does (Prometheus takes that as a counter reset).
 */
export class Collected {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly aggregator = 'sum';
  readonly #readers = new Set<() => number>();
  constructor(name: string, help: string, type: 'gauge' | 'counter' = 'gauge') {
    checkName(name, type === 'counter' ? '_total' : undefined);
    this.type = type;
    this.name = name;
    this.help = help;
    registry.registerMetric(this as never);
  }
  /** Adds a reader; the returned function removes it (at the component's close). */
  track(read: () => number): () => void {
    this.#readers.add(read);
    return () => { this.#readers.delete(read); };
  }
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    let v = 0;
    for (const r of this.#readers) v += r();
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [{ value: v, labels: {} }] };
  }
}

/** A histogram with fixed buckets (upper bounds, seconds); observe() adds to typed-array slots. */
export class Histogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: Float64Array;
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;
  constructor(name: string, help: string, buckets: readonly number[]) {
    checkName(name);
    this.name = name;
    this.help = help;
    this.#bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    this.#counts = new Float64Array(this.#bounds.length);
    registry.registerMetric(this as never);
  }
  observe(v: number): void {
    const b = this.#bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) { this.#counts[i]++; break; }
    }
    this.#sum += v;
    this.#count++;
  }
  get count(): number { return this.#count; }
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.#bounds.length; i++) {
      cumulative += this.#counts[i];
      values.push({ metricName: `${this.name}_bucket`, labels: { le: String(this.#bounds[i]) }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: this.#count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.#sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.#count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** The Prometheus text of every metric of this process. */
export const metricsText = (): Promise<string> => registry.metrics();
