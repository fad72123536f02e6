import { describe, expect, it } from 'vitest';
import { validateEvents } from '../../engine/transforms/decode.js';

const limits = { maxBatchEvents: 100, maxEventBytes: 10_000 };
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const one = (e: Record<string, unknown>) => {
  const [r] = validateEvents([e], limits, NOW);
  return { stream: r.stream, type: r.streamType, ts: new Date(r.ts).toISOString(), data: JSON.parse(r.dataJson), meta: r.metadataJson === null ? null : JSON.parse(r.metadataJson) };
};

describe('lenient mapping of shippers\' native records', () => {
  it('data from message / msg / log / body, in that order, and not copied into metadata', () => {
    expect(one({ message: 'm', msg: 'x', ts: 1 })).toMatchObject({ data: 'm', meta: { msg: 'x' } });
    expect(one({ msg: 'm' }).data).toBe('m');
    expect(one({ log: 'l', body: 'b' })).toMatchObject({ data: 'l', meta: { body: 'b' } });
    expect(one({ body: { k: 1 } }).data).toEqual({ k: 1 });
    expect(one({ data: 'd', message: 'm' })).toMatchObject({ data: 'd', meta: { message: 'm' } });
  });

  it('timestamp from @timestamp / time / ts / date; none at all is the receive time', () => {
    expect(one({ message: 'm', '@timestamp': '2026-12-01T00:00:00Z', time: 5 })).toMatchObject({ ts: '2026-12-01T00:00:00.000Z', meta: { time: 5 } });
    expect(one({ message: 'm', time: 1796385600 }).ts).toBe('2026-12-04T12:00:00.000Z');
    expect(one({ message: 'm', ts: 'Dec  4 11:00:00' }).ts).toBe('2026-12-04T11:00:00.000Z');
    expect(one({ message: 'm', date: '2026-12-02' }).ts).toBe('2026-12-02T00:00:00.000Z');
    expect(one({ message: 'm' }).ts).toBe(new Date(NOW).toISOString());
    expect(() => validateEvents([{ message: 'm', time: '2020-02-30' }], limits, NOW)).toThrow(/2020-02-30/);
  });

  it('stream_type defaults to logs, or metrics for a number', () => {
    expect(one({ message: 'm' }).type).toBe('logs');
    expect(one({ data: 3.5 })).toMatchObject({ type: 'metrics', stream: 'metrics:default' });
    expect(one({ data: 'x', stream_type: 'llm' }).type).toBe('llm');
  });

  it('other top-level fields go into metadata; the event\'s own metadata wins', () => {
    expect(one({ message: 'm', level: 'info', host: 'h1', metadata: { level: 'warn' } }).meta).toEqual({ level: 'warn', host: 'h1' });
    expect(one({ data: 'd' }).meta).toBeNull();
  });

  it('the stream key: service.name, service, app, source, host (metadata or top level), else stream_type:default', () => {
    expect(one({ message: 'm', 'service.name': 'api', service: 's', host: 'h' }).stream).toBe('logs:api');
    expect(one({ message: 'm', service: { name: 'ecs-api' }, host: 'h' }).stream).toBe('logs:ecs-api');
    expect(one({ message: 'm', service: 's', app: 'a' }).stream).toBe('logs:s');
    expect(one({ message: 'm', app: 'a', source: 'src' }).stream).toBe('logs:a');
    expect(one({ message: 'm', metadata: { source: 'web' }, host: 'h' }).stream).toBe('logs:web');
    expect(one({ message: 'm', host: 'h' }).stream).toBe('logs:h');
    expect(one({ message: 'm', host: '', source: 7 }).stream).toBe('logs:default');
    expect(one({ message: 'm', host: 'h', stream: 'mine' }).stream).toBe('mine');
  });

  it('still refuses what cannot be stored', () => {
    expect(() => validateEvents([{ level: 'info' }], limits, NOW)).toThrow(/data \(or message/);
    expect(() => validateEvents([{ message: 'm', stream_type: 'events' }], limits, NOW)).toThrow(/stream_type/);
    expect(() => validateEvents([{ message: 'm', metadata: [1], host: 'h' }], limits, NOW)).toThrow(/metadata must be an object/);
  });
});
