// A warning that names a failure (an exception, "failed"…) is an error report at warning level
// (Spark, Hadoop and many Java services log a lost task or a failed call as WARN): once its
// pattern is flagged, its recurrences are reported as a severe pattern's are (every line of an
// incident while the pattern stays rare), not folded into the first finding. Its novelty needs
// the same surprise as any line's (no severity prior): only the recurrence rule changes.
import { describe, expect, it } from 'vitest';
import { severityOf, warnedFailure } from '../../workers/detectors/text.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import { runStream, textEvents } from './helpers.js';

describe('warnedFailure()', () => {
  it.each([
    ['26/07/25 04:24:37 WARN TaskSetManager: Lost task 18.0 in stage 18670.0 (TID 365257): org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired', 'timeoutexception'],
    ['WARN disk is 99% full; compaction aborted', 'aborted'],
    ['2026-01-05 WARNING [db] connection to replica failed, retrying', 'failed'],
    ['WARN scheduler rebalanced shard 7 across zone-b replicas', ''],
    ['INFO job failed over to standby', ''],
    ['ERROR payment gateway timeout', ''],
    ['sshd[1761]: error: Bind to port 22 failed', ''],
    // Not failures: a zero counter, a negation, a flag or a name.
    ['WARN sync done ok=120 failed=0', ''],
    ['WARN health check: killed=0 oom: 0', ''],
    ['WARN retry succeeded, no error', ''],
    ['WARN batch finished without failures', ''],
    ['WARN Deprecated option --fail-fast ignored', ''],
    ['WARN table failed_jobs is large', ''],
    ['WARN sync done ok=119 failed=1', 'failed'],
    ['WARN no route to host; connect failed', 'failed'],
  ])('%s → %j', (line, want) => {
    expect(warnedFailure(line)).toBe(want);
  });

  it('leaves severityOf (the novelty prior) as it was', () => {
    expect(severityOf('WARN disk is 99% full; compaction aborted')).toBe('');
  });
});

describe('a burst of a warning that names a failure', () => {
  const base = (): string[] => syntheticLog({ lines: 2000, anomalies: 0, seed: 12 }).lines;
  const burst = (make: (i: number) => string) => {
    const lines = base();
    const at: number[] = [];
    for (let i = 1000; i < 1120; i += 4) {
      lines[i] = make(i);
      at.push(i);
    }
    const { findings } = runStream('logs', textEvents(lines), 100);
    return { at, on: findings.filter((f) => f.detector === 'compression_surprise' && at.includes(f.index)) };
  };

  it('is reported line by line while its pattern stays rare', () => {
    const { at, on } = burst((i) => `WARN TaskSetManager: Lost task ${i % 21}.0 in stage ${i * 3}.0 (TID ${i * 17}): org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired before the position for partition clickstream-${i % 12} could be determined`);
    expect(on[0].details.kind).toBe('novel');
    expect(on.length).toBeGreaterThanOrEqual(at.length / 2);
    expect(on[1].details).toMatchObject({ kind: 'incident', severity: 'timeoutexception' });
  });

  it('while the same burst of a plain warning is folded into its first finding', () => {
    const { on } = burst((i) => `WARN TaskSetManager: Moved task ${i % 21}.0 in stage ${i * 3}.0 (TID ${i * 17}) to the locality wait queue of executor ${i % 8} for partition clickstream-${i % 12} while it is determined`);
    expect(on.length).toBeLessThanOrEqual(1);
  });
});

// A regular stream whose vocabulary all came in its first lines (as in text-regular.unit.test.ts):
// its null holds the warm-up's dear costs. An error-level line is judged by the null without them
// (TEXT_PARAMS.matureNull); so is a warning that names a failure (the Spark driver's lost tasks
// of the batch generator, tuning seed 203: 888 bits against a typical 376 of the warm-up, z 1.3,
// admitted, then every later line of its burst a known line).
describe('a warning that names a failure in a regular stream', () => {
  const t0 = Date.UTC(2026, 6, 25, 6, 43);
  const vocab = [
    (i: number) => `LOG:  duration: ${(i % 9) + 1}.${100 + (i % 800)} ms  execute S_2: SELECT * FROM cart_items WHERE cart_id = $1 ORDER BY added_at`,
    (i: number) => `[unknown]@[unknown] LOG:  connection received: host=10.8.${i % 16}.${i % 200} port=${30000 + i}`,
    (i: number) => `LOG:  connection authorized: user=orders database=shop application_name=PostgreSQL JDBC Driver pid=${i}`,
    (i: number) => `LOG:  duration: ${(i % 5) + 1}.${100 + (i % 800)} ms  execute S_3: UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2`,
    (i: number) => `LOG:  duration: ${(i % 7) + 1}.${100 + (i % 800)} ms  execute S_4: INSERT INTO orders (customer_id, total, currency, plan) VALUES ($1, $2, $3, $4)`,
    (i: number) => `LOG:  duration: ${(i % 3) + 1}.${100 + (i % 800)} ms  execute S_1: SELECT o.id, o.status, o.total FROM orders o WHERE o.id = $1`,
    (i: number) => `LOG:  disconnection: session time: 0:01:${10 + (i % 50)}.${100 + (i % 800)} user=orders database=shop host=10.8.${i % 16}.${i % 200} port=${30000 + i}`,
    (i: number) => `LOG:  automatic vacuum of table "shop.public.sessions": index scans: 1, pages: 0 removed, ${20000 + i} remain, ${i % 400} scanned`,
    (_i: number) => `LOG:  checkpoint starting: time`,
    (i: number) => `LOG:  checkpoint complete: wrote ${1000 + i} buffers (${i % 9}.${i % 10}%); 0 WAL file(s) added, 0 removed, ${i % 4} recycled`,
  ];
  const line = (i: number, text: string): string => `2026-07-25 06:${String(43 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} UTC [${20000 + ((i * 7919) % 60000)}] orders@shop ${text}`;
  const detail = (i: number): string => `DETAIL:  parameters: ${Array.from({ length: 1 + (Math.floor(i / 30) % 5) }, (_, j) => `$${j + 1} = '${String(i * (j + 7)).padStart(1 + ((Math.floor(i / 30) * (j + 3)) % 7), '1')}'`).join(', ')}`;
  const stream = (odd: string): { ts: number; text: string }[] => {
    const events: { ts: number; text: string }[] = [];
    for (let i = 0; i < 400; i++) {
      const k = i < 40 ? i % vocab.length : i % 4 === 0 ? 0 : i % 4 === 1 ? 3 : i % 4 === 2 ? 5 : 1;
      // A statement's parameters now and then: a new normalised line is rare but cheap (costs after the warm-up).
      events.push({ ts: t0 + i * 1000, text: line(i, i % 30 === 29 ? detail(i) : vocab[k](i)) });
    }
    events.push({ ts: t0 + 400_000, text: line(400, odd) });
    for (let i = 401; i < 450; i++) events.push({ ts: t0 + i * 1000, text: line(i, vocab[i % 4 === 0 ? 0 : 5](i)) });
    return events;
  };
  const flagged = (odd: string): number[] => runStream('logs', stream(odd), 100).findings.filter((f) => f.detector === 'compression_surprise').map((f) => f.index);

  it('is judged by the null without the warm-up, as an error-level line is', () => {
    expect(flagged('WARNING:  logical replication worker for subscription "orders_sub" failed: could not receive data from WAL stream')).toEqual([400]);
  });

  it('while a plain warning keeps the whole null', () => {
    expect(flagged('WARNING:  logical replication worker for subscription "orders_sub" will restart because the subscription was altered')).toEqual([]);
  });
});
