// The queue generator: pure (same seed, same set), every kind labelled, labels consistent with the
// lines they point at (and normal lines never like them), sane incident counts, six formats.
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { generateQueue, QUEUE_KINDS, WARMUP_MS } from '../../src/tools/eval/generators/queue.js';
import { NEW_QUEUES, NEW_REGIONS, NEW_TOPICS, NEW_VHOSTS, ODD_WEBHOOK_STATUSES, STREAMS } from '../../src/tools/eval/generators/queue-lines.js';
import { expectFullLogRun, expectLabelledLogSet, expectSilenceAt, idxOf, incidents, normalOf, num, ofKind } from './helpers.js';

const SHORT = 130; // minutes: the 30-minute warm-up, a silence of up to 25 and every other kind
/** A line with its ids, numbers and timestamps masked: its template, roughly. */
const shape = (l: string): string => l.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'U').replace(/\b[a-z]{3}_[0-9a-f]{12}\b/g, 'K').replace(/ingest-[a-z]+-[a-z]+/g, 'P').replace(/\d+/g, '0');

describe('eval generate --kind queue', () => {
  it('is registered and deterministic per seed', () => {
    expect(Object.keys(GENERATORS)).toContain('queue');
    const a = JSON.stringify(generateQueue(3, SHORT));
    expect(JSON.stringify(generateQueue(3, SHORT))).toBe(a);
    expect(JSON.stringify(generateQueue(4, SHORT))).not.toBe(a);
    expect(GENERATORS.queue.describe).toMatch(/message broker/);
  });

  it('labels every kind in time order after the warm-up, with sane incident counts', () => {
    for (const seed of [1, 2, 3]) {
      const set = generateQueue(seed, SHORT);
      expectLabelledLogSet(set, QUEUE_KINDS, WARMUP_MS);
      const n = incidents(set);
      expect(n.new_error).toBe(4);
      expect(n.unusual_value).toBe(5);
      expect(n.unseen_category).toBe(3);
      expect(n.silence).toBe(1);
      expect(n.retry_storm).toBeGreaterThanOrEqual(2);
      expect(n.rare_error).toBeGreaterThanOrEqual(7);
      expect(n.rare_error).toBeLessThanOrEqual(9);
      expect([9, 18]).toContain(idxOf(set, 'rare_error').length);
      expect(n.rare_burst).toBeGreaterThanOrEqual(1);
      expect(idxOf(set, 'rare_burst').length).toBeGreaterThanOrEqual(70);
      // 6 lone lines after the burst's last
      const last = Math.max(...idxOf(set, 'rare_burst'));
      expect(idxOf(set, 'rare_error').filter((i) => i > last).length).toBeGreaterThanOrEqual(6);
      expect(idxOf(set, 'retry_storm').length).toBeGreaterThanOrEqual(2 * 25);
    }
  });

  it('the labelled lines hold what their kind says, and normal lines never do', () => {
    for (const seed of [5, 6, 7]) {
      const set = generateQueue(seed, SHORT);
      const normal = normalOf(set);
      const normalShapes = new Set(normal.map(shape));
      const heads = ofKind(set, 'new_error');
      for (const l of heads) expect(normalShapes.has(shape(l))).toBe(false);
      const rare = new Set([...ofKind(set, 'rare_error'), ...ofKind(set, 'rare_burst')].map(shape));
      expect(rare.size).toBeLessThanOrEqual(2);
      for (const s of rare) expect(normalShapes.has(s)).toBe(false);
      const newValue = (l: string): boolean => NEW_REGIONS.some((x) => l.includes(`"region":"${x}"`)) || NEW_TOPICS.some((x) => l.includes(`"topic":"${x}"`))
        || NEW_VHOSTS.some((x) => l.includes(`access to vhost '${x}'`)) || NEW_QUEUES.some((x) => l.includes(`queue=${x} `));
      for (const l of ofKind(set, 'unseen_category')) expect(newValue(l)).toBe(true);
      expect(normal.some(newValue)).toBe(false);
      for (const l of ofKind(set, 'retry_storm')) expect(l).toMatch(/retry: Retry in|retryable error, backing off|closing AMQP connection .*:$|client unexpectedly closed/);
      for (const l of ofKind(set, 'unusual_value')) {
        const status = num(l, /\{'status': (\d+)/);
        const odd = l.includes('deliver_webhook') ? ODD_WEBHOOK_STATUSES.includes(status)
          : l.includes('tasks.send_email') ? num(l, /succeeded in ([\d.]+)s/) > 1
            : l.includes('message processed') ? num(l, /"duration_ms":([\d.]+)/) > 60
              : l.includes('queue depth') ? num(l, /ready=(\d+)/) > 250
                : num(l, /Rolled new log segment at offset \d+ in (\d+) ms/) > 40;
        expect(odd, l).toBe(true);
      }
    }
  });

  it('normal values stay in their usual ranges (the unusual ones are unusual for their context)', () => {
    const set = generateQueue(8, SHORT);
    const normal = normalOf(set);
    const webhook = normal.filter((l) => l.includes('tasks.deliver_webhook') && l.includes('succeeded'));
    expect(webhook.length).toBeGreaterThan(50);
    expect(webhook.every((l) => [200, 202, 204].includes(num(l, /\{'status': (\d+)/)))).toBe(true);
    expect(normal.filter((l) => l.includes('tasks.sync_crm') && /'status': 4\d\d/.test(l)).length).toBeGreaterThan(0);
    const fast = normal.filter((l) => /"topic":"(orders|clickstream|inventory)".*"duration_ms"/.test(l)).map((l) => num(l, /"duration_ms":([\d.]+)/));
    expect(Math.max(...fast)).toBeLessThan(60);
    expect(normal.filter((l) => l.includes('"topic":"search-index"') && num(l, /"duration_ms":([\d.]+)/) > 100).length).toBeGreaterThan(10);
    const rolls = normal.filter((l) => l.includes('Rolled new log segment')).map((l) => num(l, / in (\d+) ms/));
    expect(Math.max(...rolls)).toBeLessThan(40);
    const depth = (q: string): number[] => normal.filter((l) => l.includes(`queue=${q} `) && l.includes('queue depth')).map((l) => num(l, /ready=(\d+)/));
    expect(Math.max(...depth('webhooks'), ...depth('invoices'))).toBeLessThan(250);
    expect(Math.min(...depth('thumbnails'))).toBeGreaterThan(250);
  });

  it('silence: the labelled line is its stream\'s first after the only long gap', () => {
    for (const seed of [2, 3]) {
      const set = generateQueue(seed, SHORT);
      const [i] = idxOf(set, 'silence');
      const stream = set.events[i].stream;
      expect(stream).toBe(seed % 2 === 0 ? STREAMS.celery : STREAMS.consumers);
      expectSilenceAt(set, i);
    }
  });

  it('a full run: 20-40k lines over 4-5.5 hours in six formats with benign novelty', () => {
    const full = generateQueue(9);
    const text = expectFullLogRun(full, [20_000, 40_000], [3.9, 5.6], STREAMS);
    expect(text(STREAMS.consumers).every((l) => JSON.parse(l).logger === 'ingest.consumer')).toBe(true);
    expect(text(STREAMS.celery).every((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: [A-Z]+\/\S+\] /.test(l))).toBe(true);
    expect(text(STREAMS.rabbit).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00 \[\w+\] <0\.\d+\.0> /.test(l))).toBe(true);
    expect(text(STREAMS.kafka).every((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] INFO .* \([\w.$]+\)$/.test(l))).toBe(true);
    expect(text(STREAMS.scheduler).every((l) => /^ts=\S+ level=info caller=\S+ msg="[^"]+"/.test(l))).toBe(true);
    expect(text(STREAMS.dlq).every((l) => /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} dlq-handler: /.test(l))).toBe(true);
    const processed = text(STREAMS.consumers).filter((l) => l.includes('message processed'));
    expect(new Set(processed.map((l) => JSON.parse(l).key)).size).toBe(processed.length);
    expect(text(STREAMS.kafka).some((l) => l.includes('Preparing to rebalance group ingest'))).toBe(true);
    expect(text(STREAMS.celery).some((l) => / ready\.$/.test(l))).toBe(true);
  });
});
