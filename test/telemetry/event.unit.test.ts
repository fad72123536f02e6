// The telemetry kernel without a server: emit() counts every time and logs at most once per
// interval (the rest shown as `suppressed`), per event or per gate; names are checked; the
// metrics keep plain numbers that a real Prometheus parser reads back.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { Collected, Counter, defineEvent, Histogram, metricsText } from '../../src/core/telemetry/index.js';

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write(s: string) { lines.push(JSON.parse(s) as Record<string, unknown>); } });
  return { log, lines };
}

describe('emit()', () => {
  it('counts every event, logs the first and then at most once per everyMs with the number suppressed', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const counter = new Counter('driftwatch_test_kernel_things_total', 'test');
      const ev = defineEvent({ name: 'TestThingRefused', level: 'warn', everyMs: 5_000, counter: counter.child(), message: 'a thing was refused' });
      const { log, lines } = capture();
      for (let i = 0; i < 10; i++) ev.emit(log, { i });
      expect(counter.value()).toBe(10);
      expect(ev.emitted).toBe(10);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ event: 'TestThingRefused', msg: 'TestThingRefused: a thing was refused', i: 0, level: 40 });
      vi.advanceTimersByTime(5_000);
      ev.emit(log, { i: 10 }, 3);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatchObject({ i: 10, suppressed: 9 });
      expect(counter.value()).toBe(13);
      // A gate of its own: another instance's lines are not silenced by the first one's.
      const gate = ev.gate();
      ev.emit(log, { own: true }, 1, gate);
      expect(lines).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('marks intentional drops, skips the line below the log level but still counts', () => {
    const counter = new Counter('driftwatch_test_kernel_drops_total', 'test');
    const drop = defineEvent({ name: 'TestEventsDropped', level: 'warn', intentional: true, counter: counter.child(), message: 'dropped' });
    const { log, lines } = capture();
    drop.emit(log, undefined, 5);
    expect(lines[0]).toMatchObject({ event: 'TestEventsDropped', intentional: true });
    const debug = defineEvent({ name: 'TestThingSeen', level: 'debug', counter: counter.child(), message: 'seen' });
    debug.emit(log);
    expect(lines).toHaveLength(1);
    expect(counter.value()).toBe(6);
  });

  it('refuses names outside the conventions', () => {
    expect(() => defineEvent({ name: 'thing_refused', level: 'warn', message: 'x' })).toThrow(TypeError);
    expect(() => new Counter('driftwatch_test_kernel_things', 'no _total')).toThrow(/_total/);
    expect(() => new Counter('other_test_total', 'no prefix')).toThrow(/driftwatch_/);
    expect(() => new Counter('driftwatch_test_kernel_things_total', 'twice')).toThrow(/already been registered/);
  });
});

describe('metrics', () => {
  it('labelled counters, a histogram and collected values read back through a Prometheus parser', async () => {
    const c = new Counter('driftwatch_test_kernel_refusals_total', 'test', ['error_code']);
    const a = c.child('DW_ERR_A');
    for (let i = 0; i < 4; i++) a.inc();
    c.child('DW_ERR_B').inc(2);
    expect(() => c.inc()).toThrow(TypeError);
    const h = new Histogram('driftwatch_test_kernel_seconds', 'test', [0.01, 0.1, 1]);
    for (const v of [0.005, 0.05, 0.05, 0.5, 5]) h.observe(v);
    const g = new Collected('driftwatch_test_kernel_bytes', 'test');
    const stopA = g.track(() => 100);
    const stopB = g.track(() => 23);
    const parsed = parsePrometheusTextFormat(await metricsText());
    const byName = new Map(parsed.map((f) => [f.name, f]));
    expect(byName.get('driftwatch_test_kernel_refusals_total')?.metrics.map((m) => [m.labels?.error_code, Number(m.value)]))
      .toEqual([['DW_ERR_A', 4], ['DW_ERR_B', 2]]);
    const hist = byName.get('driftwatch_test_kernel_seconds')!;
    expect(hist.type).toBe('HISTOGRAM');
    expect(hist.metrics[0].buckets).toEqual({ '0.01': '1', '0.1': '3', '1': '4', '+Inf': '5' });
    expect(Number(hist.metrics[0].count)).toBe(5);
    expect(Number(hist.metrics[0].sum)).toBeCloseTo(5.605, 6);
    expect(Number(byName.get('driftwatch_test_kernel_bytes')?.metrics[0].value)).toBe(123);
    stopA();
    stopB();
    expect(byName.get('driftwatch_process_cpu_user_seconds_total')?.type).toBe('COUNTER');
  });
});
